package read

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 10 * time.Second
)

var (
	// ErrEmptyAnswer is an answer with no text. It is retried: a page with
	// nothing on it still makes the models say something (or the raw
	// end-of-sentence token), so an empty answer is usually a server hiccup.
	ErrEmptyAnswer = errors.New("empty answer")
	// ErrRepetition is an answer cut off at max_tokens while the model was
	// repeating itself, a known failure of greedy decoding. It is retried
	// because it does not happen on every call (batch composition changes the
	// numerics slightly), and it is never returned as a page.
	ErrRepetition = errors.New("repetition loop")
	// errBlank is an empty answer that the model ended normally. Retried like
	// any empty answer, but if every attempt says the same the page is blank.
	errBlank = fmt.Errorf("%w (finish_reason \"stop\")", ErrEmptyAnswer)
)

// backoff is the sleep before retry n (1-based): exponential with full
// jitter, so that pages that failed together (a server restart) do not
// come back together.
func backoff(n int) time.Duration {
	d := backoffCap
	if n < 16 {
		d = min(backoffCap, backoffBase<<(n-1))
	}
	return rand.N(d) + time.Millisecond
}

// sleep waits d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable says whether another attempt may succeed. Only an HTTP status
// proves the request itself is wrong: a 4xx other than 429 (bad image, wrong
// model, too long for the context) fails the same way every time. Everything
// else (transport errors, attempt timeouts, 5xx, 429, malformed or empty
// answers, repetition loops) is transient.
func retryable(err error) bool {
	status := httpStatus(err)
	if status == 0 {
		return true
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// httpStatus is the status code carried by a go-openai error, 0 if none.
func httpStatus(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

const (
	loopWindow  = 2000 // tail of the output examined, in runes
	loopMaxUnit = 200  // longest repeating unit looked for, in runes
	loopMinReps = 10   // repetitions that make a loop
)

// repetitionLoop reports whether s ends in a degenerate loop: within its
// last loopWindow runes, a suffix covering at least half the window (and at
// least loopMinReps units) is one unit of at most loopMaxUnit runes repeated.
// Only called for answers cut off by max_tokens, so a legitimately repetitive
// page (a column of dots in a table of contents) that ends normally is
// never mistaken for one.
func repetitionLoop(s string) bool {
	r := []rune(s)
	if len(r) > loopWindow {
		r = r[len(r)-loopWindow:]
	}
	need := len(r) / 2
	for unit := 1; unit <= loopMaxUnit && unit*loopMinReps <= len(r); unit++ {
		if periodicSuffix(r, unit) >= max(need, unit*loopMinReps) {
			return true
		}
	}
	return false
}

// periodicSuffix is the length of the longest suffix of r with period unit.
func periodicSuffix(r []rune, unit int) int {
	i := len(r) - unit - 1
	for i >= 0 && r[i] == r[i+unit] {
		i--
	}
	return len(r) - i - 1
}
