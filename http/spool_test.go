package httpapi

import (
	"bytes"
	"crypto/sha256"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpool(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("%PDF-1.7 spooled\n"), 1<<16)
	s, err := spool(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), s.size)
	require.Equal(t, data[:1024], s.head)
	sum, err := s.digest()
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(data), sum)
	got, err := os.ReadFile(s.path)
	require.NoError(t, err)
	require.Equal(t, data, got)
	s.remove()
	require.NoFileExists(t, s.path)

	_, err = spool(bytes.NewReader(data), int64(len(data))-1)
	require.ErrorIs(t, err, errTooLarge)
}
