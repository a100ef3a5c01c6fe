package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/pdftest"
)

// TestSlowPagesMoveOn: a document whose pages each take about half a second
// to draw, in ranges of 8 under a 3 s handler deadline, completes. Split
// hands the rest of a range back when less than a page's budget is left
// (RENDER_PAGE_TIMEOUT 3 s here, three passes) instead of running into the
// deadline, which would stop the page being drawn and retry the whole range
// until it was poisoned.
func TestSlowPagesMoveOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{workers: 2, handlerTime: 3 * time.Second})
	const pages = 24 // more than 2 consumers × 8, so the document goes in ranges of 8
	r := postForm(t, e.api.Base+"/v1/process/async", nil, "slow.pdf", pdftest.NestedFormsPages(pages, 1, 40, 100))
	require.Equal(t, 202, r.status)
	st, _ := e.waitDone(t, r.body["job_id"].(string), 2*time.Minute)
	require.Equal(t, "completed", st.Status, "%v", st.Error)
	require.Equal(t, pages, st.Progress.TotalPages)
	require.Equal(t, pages, st.Progress.CurrentPage)
}
