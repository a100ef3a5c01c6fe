package jobstore

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestCreateFromStoresUploadInSlices: an upload of several slices, one of a
// single slice's size and an empty one come back byte for byte, with the
// job's TTL on the key and the size on the job.
func TestCreateFromStoresUploadInSlices(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{pdfReadChunk*3 + 17, pdfReadChunk, 5} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.UintN(256))
		}
		j := Job{ID: uuid.NewString(), Filename: "a.pdf", Mode: "balanced", Format: "markdown"}
		require.NoError(t, s.CreateFrom(ctx, j, bytes.NewReader(data)))
		got, err := s.PDF(ctx, j.ID)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "size %d", size)
		ttl, err := s.rdb.TTL(ctx, pdfKey(j.ID)).Result()
		require.NoError(t, err)
		require.Positive(t, ttl)
		job, err := s.Get(ctx, j.ID)
		require.NoError(t, err)
		require.Equal(t, int64(size), job.UploadBytes)
	}
}
