package bench

import (
	"testing"
	"time"
	"fmt"
	"os"

	"github.com/docparse/docparse/stages/render"
)

func TestScratch(t *testing.T) {
	in := Inputs{Dir: "/tmp/bx/in", Samples: "/work/shared/pdfs"}
	t0 := time.Now()
	p, err := in.Mixed(200)
	if err != nil { t.Fatal(err) }
	fmt.Println("built", time.Since(t0))
	for _, mode := range []string{"balanced", "accurate"} {
		for _, f := range []string{"png", "jpeg"} {
			r, err := RawRender(p, mode, render.Options{Format: f})
			if err != nil { t.Fatal(err) }
			fmt.Printf("%s %s %.1f p/s %d KB/page\n", mode, f, r.PagesPerSec(), r.Bytes/int64(r.Pages)/1024)
		}
	}
	_ = os.Stdout
}
