package jobstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/redistest"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	return New(redistest.Start(t).Client(t), time.Hour)
}

func newJob(t *testing.T, s *Store, pages int) string {
	t.Helper()
	ctx := context.Background()
	id := uuid.NewString()
	require.NoError(t, s.Create(ctx, Job{ID: id, Filename: "a.pdf", Mode: "balanced", Format: "markdown"}, []byte("%PDF-")))
	ok, err := s.Start(ctx, id, pages)
	require.NoError(t, err)
	require.True(t, ok)
	return id
}

func TestRecordPageIsIdempotent(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	id := newJob(t, s, 3)
	_, err := s.StoreImage(ctx, id, 2, []byte("img"), time.Hour)
	require.NoError(t, err)
	n, err := s.InFlight(ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	p, err := s.RecordPage(ctx, id, PageResult{Page: 2, Engine: "deepseek", Markdown: "two"})
	require.NoError(t, err)
	require.True(t, p.New)
	require.Equal(t, 1, p.Done)
	again, err := s.RecordPage(ctx, id, PageResult{Page: 2, Engine: "deepseek", Markdown: "changed"})
	require.NoError(t, err)
	require.False(t, again.New, "a redelivered page changes nothing")
	require.Equal(t, 1, again.Done)

	page, err := s.Page(ctx, id, 2)
	require.NoError(t, err)
	require.Equal(t, "two", page.Markdown)
	_, err = s.Image(ctx, ImageKey(id, 2))
	require.ErrorIs(t, err, ErrNotFound, "the image goes once the page is recorded")
	n, err = s.InFlight(ctx, id)
	require.NoError(t, err)
	require.Zero(t, n)
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 1, j.DeepSeek)
	require.Equal(t, StatusProcessing, j.Status)
	require.NotEmpty(t, j.StartedAt)
}

func TestConcurrentDuplicatesCountOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	id := newJob(t, s, 20)
	var wg sync.WaitGroup
	for range 4 {
		for page := 1; page <= 20; page++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.RecordPage(ctx, id, PageResult{Page: page, Engine: "nanonets", Markdown: "x"})
				require.NoError(t, err)
			}()
		}
	}
	wg.Wait()
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 20, j.DonePages)
	require.Equal(t, 20, j.Nanonets)
	pages, err := s.Pages(ctx, id)
	require.NoError(t, err)
	require.Len(t, pages, 20)
	for i, p := range pages {
		require.Equal(t, i+1, p.Page, "pages come back in page order")
	}
}

func TestFinishHappensOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	id := newJob(t, s, 1)
	var wg sync.WaitGroup
	moves := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved, err := s.Finish(ctx, id, StatusCompleted, "", []byte("# doc"))
			require.NoError(t, err)
			moves <- moved
		}()
	}
	wg.Wait()
	close(moves)
	var n int
	for m := range moves {
		if m {
			n++
		}
	}
	require.Equal(t, 1, n)
	res, err := s.Result(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "# doc", string(res))
	p, err := s.RecordPage(ctx, id, PageResult{Page: 1, Engine: "deepseek"})
	require.NoError(t, err)
	require.False(t, p.New, "a final job takes no pages")
	require.Equal(t, StatusCompleted, p.Status)
}

func TestGetRejectsMalformedIDs(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, id := range []string{"", "nope", "../../etc", "docparse:jobs", uuid.NewString()} {
		_, err := s.Get(context.Background(), id)
		require.ErrorIs(t, err, ErrNotFound, id)
	}
}

func TestListNewestFirstAndCleanup(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	var ids []string
	for range 5 {
		ids = append(ids, newJob(t, s, 1))
		time.Sleep(2 * time.Millisecond)
	}
	_, err := s.Finish(ctx, ids[1], StatusFailed, "bad", nil)
	require.NoError(t, err)
	jobs, err := s.List(ctx, 3, "")
	require.NoError(t, err)
	require.Equal(t, []string{ids[4], ids[3], ids[2]}, []string{jobs[0].ID, jobs[1].ID, jobs[2].ID})
	failed, err := s.List(ctx, 10, StatusFailed)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, ids[1], failed[0].ID)
	n, err := s.Cleanup(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 5, n)
	_, err = s.Get(ctx, ids[0])
	require.ErrorIs(t, err, ErrNotFound)
}
