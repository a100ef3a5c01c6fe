package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docparse/docparse/jobstore"
)

// pollEvery is how often long-polls and event streams read the job hash:
// one HGETALL per watcher, cheap next to any page's work.
const pollEvery = 200 * time.Millisecond

// maxWait caps ?wait= so proxies with a 60 s read timeout stay happy.
const maxWait = 60 * time.Second

// snapshot is what a watcher compares: a change in any of it is news.
func snapshot(j jobstore.Job) string {
	return fmt.Sprintf("%s|%d|%d|%d", j.Status, j.TotalPages, j.DonePages, j.FailedPages)
}

// waitStatus answers GET /status?wait=N: it holds the request until the
// job's status or progress differs from what it was when the request came,
// or N seconds pass, then answers with the status document either way. A
// final job answers at once.
func (a *App) waitStatus(c *fiber.Ctx, j jobstore.Job, wait time.Duration) error {
	wait = min(wait, maxWait)
	start, deadline := snapshot(j), time.Now().Add(wait)
	for !jobstore.Final(j.Status) && time.Now().Before(deadline) {
		select {
		case <-c.Context().Done():
			return nil
		case <-time.After(pollEvery):
		}
		next, err := a.getJob(c)
		if err != nil {
			return err
		}
		j = next
		if snapshot(j) != start {
			break
		}
	}
	return c.JSON(StatusOf(j))
}

// jobEvents streams the job's status document as server-sent events:
// "progress" whenever it changes, then "done" with the final one, and the
// stream ends. A comment line every 15 s keeps proxies from closing it.
func (a *App) jobEvents(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	store, id := a.p.Store, j.ID
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		streamEvents(w, store, id)
	})
	return nil
}

func streamEvents(w *bufio.Writer, store *jobstore.Store, id string) {
	last, lastWrite := "", time.Now()
	for end := time.Now().Add(6 * time.Hour); time.Now().Before(end); time.Sleep(pollEvery) {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		j, err := store.Get(ctx, id)
		cancel()
		if errors.Is(err, jobstore.ErrNotFound) {
			_ = writeEvent(w, "deleted", map[string]string{"job_id": id})
			return
		}
		if err != nil {
			continue // Redis blinked: the stream waits rather than ends
		}
		snap := snapshot(j)
		event := "progress"
		if jobstore.Final(j.Status) {
			event = "done"
		}
		if snap != last || event == "done" {
			if writeEvent(w, event, StatusOf(j)) != nil {
				return // the client went away
			}
			last, lastWrite = snap, time.Now()
		}
		if event == "done" {
			return
		}
		if time.Since(lastWrite) > 15*time.Second {
			if _, err := w.WriteString(": keep-alive\n\n"); err != nil || w.Flush() != nil {
				return
			}
			lastWrite = time.Now()
		}
	}
}

func writeEvent(w *bufio.Writer, event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return w.Flush()
}
