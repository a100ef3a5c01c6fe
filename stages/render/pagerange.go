package render

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxPageNumber bounds a page number in a range, so "1-999999999" cannot
// make anyone allocate a billion entries.
const maxPageNumber = 100_000

// PageRange is a user's page selection such as "1-5,8,10-": 1-based,
// inclusive, an open end meaning "to the last page". The zero value selects
// every page.
type PageRange struct {
	spans []span
}

type span struct{ from, to int } // to == 0: open end

// ErrPageRange is wrapped by every page range error, so callers answer 400.
var ErrPageRange = errors.New("invalid page_range")

// ParsePageRange parses and validates a page selection. An empty string
// selects every page.
func ParsePageRange(s string) (PageRange, error) {
	var r PageRange
	s = strings.TrimSpace(s)
	if s == "" {
		return r, nil
	}
	for _, part := range strings.Split(s, ",") {
		sp, err := parseSpan(strings.TrimSpace(part))
		if err != nil {
			return PageRange{}, fmt.Errorf("%w %q: %v (want e.g. 1-5,8,10-)", ErrPageRange, s, err)
		}
		r.spans = append(r.spans, sp)
	}
	return r, nil
}

func parseSpan(p string) (span, error) {
	if p == "" {
		return span{}, errors.New("empty part")
	}
	a, b, isRange := strings.Cut(p, "-")
	from, err := pageNumber(a)
	if err != nil {
		return span{}, err
	}
	if !isRange {
		return span{from, from}, nil
	}
	if strings.TrimSpace(b) == "" {
		return span{from, 0}, nil
	}
	to, err := pageNumber(b)
	if err != nil {
		return span{}, err
	}
	if to < from {
		return span{}, fmt.Errorf("%d-%d runs backwards", from, to)
	}
	return span{from, to}, nil
}

func pageNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > maxPageNumber {
		return 0, fmt.Errorf("%q is not a page number (1 to %d)", s, maxPageNumber)
	}
	return n, nil
}

// All reports whether the range selects every page.
func (r PageRange) All() bool { return len(r.spans) == 0 }

// String is the canonical form, used in cache keys: "" for every page.
func (r PageRange) String() string {
	parts := make([]string, len(r.spans))
	for i, s := range r.spans {
		switch {
		case s.to == 0:
			parts[i] = fmt.Sprintf("%d-", s.from)
		case s.from == s.to:
			parts[i] = strconv.Itoa(s.from)
		default:
			parts[i] = fmt.Sprintf("%d-%d", s.from, s.to)
		}
	}
	return strings.Join(parts, ",")
}

// Pages returns the selected pages of a document of total pages, ascending
// and without repeats. A page beyond the document is an error: the user
// asked for something that is not there.
func (r PageRange) Pages(total int) ([]int, error) {
	if r.All() {
		out := make([]int, total)
		for i := range out {
			out[i] = i + 1
		}
		return out, nil
	}
	seen := map[int]bool{}
	for _, s := range r.spans {
		to := s.to
		if to == 0 {
			to = total
		}
		if s.from > total || to > total {
			return nil, fmt.Errorf("%w: %s asks for pages beyond the document's %d", ErrPageRange, r, total)
		}
		for n := s.from; n <= to; n++ {
			seen[n] = true
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// Runs groups ascending pages into contiguous runs of at most size pages,
// the unit split fans a job out in.
func Runs(pages []int, size int) [][2]int {
	size = max(size, 1)
	var out [][2]int
	for i := 0; i < len(pages); {
		j := i
		for j+1 < len(pages) && pages[j+1] == pages[j]+1 && j+1-i < size {
			j++
		}
		out = append(out, [2]int{pages[i], pages[j]})
		i = j + 1
	}
	return out
}
