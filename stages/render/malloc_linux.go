//go:build linux && cgo

package render

/*
#include <malloc.h>
#include <stdlib.h>

static int arenas_capped;

// Runs when the binary is loaded, before the Go runtime starts its threads:
// glibc makes an arena for each thread that mallocs before a cap is set, so
// mallopt from Go would come too late. MALLOC_ARENA_MAX, when set, wins.
__attribute__((constructor)) static void cap_arenas(void) {
#ifdef M_ARENA_MAX
	if (getenv("MALLOC_ARENA_MAX") == NULL) {
		arenas_capped = mallopt(M_ARENA_MAX, 2) == 1;
	}
#endif
}

static int capped(void) { return arenas_capped; }
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
