package httpapi

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/uploaddir"
)

func TestSpool(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("%PDF-1.7 spooled\n"), 1<<16)
	var dir uploaddir.Dir
	defer dir.Remove()
	s, err := spool(&dir, bytes.NewReader(data), int64(len(data)))
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

	_, err = spool(&dir, bytes.NewReader(data), int64(len(data))-1)
	require.ErrorIs(t, err, errTooLarge)
}

// TestSpoolFileErrorsAreTheServers: a body that breaks is the client's, a
// spool file that cannot be written is not.
func TestSpoolFileErrorsAreTheServers(t *testing.T) {
	t.Parallel()
	var dir uploaddir.Dir
	defer dir.Remove()
	_, err := spool(&dir, iotest.ErrReader(errors.New("client went away")), 1<<20)
	require.Error(t, err)
	require.NotErrorIs(t, err, errSpoolFile)

	full, err := os.Open(os.DevNull) // read-only: every write fails
	require.NoError(t, err)
	defer full.Close()
	_, err = io.Copy(fileWriter{full}, bytes.NewReader([]byte("x")))
	require.ErrorIs(t, err, errSpoolFile)
}
