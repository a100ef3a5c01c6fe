//go:build linux && cgo

package render

/*
#include <malloc.h>
#include <stdlib.h>

static int arenas_capped, mmap_fixed;

// Runs when the binary is loaded, before the Go runtime starts its threads:
// glibc makes an arena for each thread that mallocs before a cap is set, so
// mallopt from Go would come too late. MALLOC_ARENA_MAX and
// MALLOC_MMAP_THRESHOLD_, when set, win.
__attribute__((constructor)) static void tune_malloc(void) {
#ifdef M_ARENA_MAX
	if (getenv("MALLOC_ARENA_MAX") == NULL) {
		arenas_capped = mallopt(M_ARENA_MAX, 2) == 1;
	}
#endif
	if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) {
		mmap_fixed = mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1;
	}
}

static int capped(void) { return arenas_capped; }
static int fixed(void) { return mmap_fixed; }
*/
import "C"

// MallocArenasCapped reports whether docparse capped glibc's malloc arenas
// at 2 as the process started (it does unless MALLOC_ARENA_MAX is set).
// MuPDF allocates page-sized pixmaps from whichever thread a cgo call runs
// on, and glibc gives busy threads arenas of their own, up to eight per
// core, each keeping what was freed in it: capped at 2, the bench's worker
// peak RSS was 154 to 183 MB for 100 pages against 191 to 219, and 217 to
// 246 MB for 1000 pages against 252 to 283, at the same CPU.
func MallocArenasCapped() bool { return C.capped() == 1 }

// MallocMmapFixed reports whether docparse fixed glibc's mmap threshold at
// 1 MB as the process started (it does unless MALLOC_MMAP_THRESHOLD_ is
// set). glibc raises the threshold each time a mapped block is freed, up to
// 32 MB, so MuPDF's decoded images and fonts soon come from the arenas,
// which keep what is freed: one process walking the 1000-page bench PDF held
// 55 MB of malloc memory for 15 to 27 MB in use, and its RSS grew from 64 to
// 102 MB; fixed, it held 26 to 31 MB and stayed within 78 MB at the same CPU
// (mallinfo2, bench workers 185-201 -> 166-176 MB at 1000 pages). Rendered
// pages are Go memory (pagepass.go), so the large blocks mapped and unmapped
// are not one per page; the 8 MB pixmaps that were cost 17 % more CPU.
func MallocMmapFixed() bool { return C.fixed() == 1 }
