package main

import (
	"fmt"
	"os"
	"time"

	"github.com/gen2brain/go-fitz"
	"github.com/docparse/docparse/stages/render"
)

func main() {
	f, err := fitz.New(os.Args[1])
	if err != nil { panic(err) }
	for i := 0; i < 3; i++ {
		t := time.Now()
		h, _ := f.HTML(0, false)
		t1 := time.Now()
		s, _ := f.SVG(0)
		t2 := time.Now()
		tx, _ := f.Text(0)
		t3 := time.Now()
		img, _ := f.ImageDPI(0, 144)
		t4 := time.Now()
		b, mime, _ := render.Encode(img, "auto", 90)
		t5 := time.Now()
		fmt.Println("html", t1.Sub(t), len(h), "svg", t2.Sub(t1), len(s), "text", t3.Sub(t2), len(tx), "img", t4.Sub(t3), img.Bounds(), "enc", t5.Sub(t4), len(b), mime)
	}
}
