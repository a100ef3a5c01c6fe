package ocrsim

// FaultPlan injects failures into chat completions, for tests. Requests are
// numbered from 1 in arrival order (valid or not) and the plan is applied to
// each valid request by its number, so a test knows exactly which calls fail.
// An "Every N" fault hits requests N, 2N, 3N, ...; 0 disables it. When several
// apply, the first in field order wins.
type FaultPlan struct {
	FailFirst      int // requests 1..FailFirst answer HTTP 500
	Status500Every int // answer HTTP 500
	HangEvery      int // never answer; the request ends when the client gives up
	MalformedEvery int // HTTP 200 with a truncated JSON body
	EmptyEvery     int // a completion with empty content, finish_reason "stop"
	RepeatEvery    int // a completion ending in a repetition loop, finish_reason "length"
}

type fault int

const (
	faultNone fault = iota
	fault500
	faultHang
	faultMalformed
	faultEmpty
	faultRepeat
)

// faultFor is the fault, if any, planned for request n.
func (f FaultPlan) faultFor(n int64) fault {
	every := func(k int) bool { return k > 0 && n%int64(k) == 0 }
	switch {
	case n <= int64(f.FailFirst), every(f.Status500Every):
		return fault500
	case every(f.HangEvery):
		return faultHang
	case every(f.MalformedEvery):
		return faultMalformed
	case every(f.EmptyEvery):
		return faultEmpty
	case every(f.RepeatEvery):
		return faultRepeat
	}
	return faultNone
}
