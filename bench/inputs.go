package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/docparse/docparse/stages/render"
)

// bornDigital is the 117-page LaTeX book: every page has a trustworthy text layer.
const bornDigital = "GeoTopo-komprimiert.pdf"

// mixedSources are the sample PDFs joined into the mixed documents: text
// pages, scans (CMYK, grayscale, CCITT fax, ImageMagick), forms, formulas and
// several producers, so split renders what real uploads contain. The
// password-protected sample is left out: it needs a password per job.
var mixedSources = []string{
	"pdflatex-4-pages.pdf", "cmyk-image.pdf", "google-doc-document.pdf", "grayscale-image.pdf",
	"habibi-rotated.pdf", "imagemagick-CCITTFaxDecode.pdf", "imagemagick-images.pdf", "multicolumn.pdf",
	"pdfkit.pdf", "pdflatex-forms.pdf", "pdflatex-image.pdf", "002-trivial-libre-office-writer.pdf",
	"minimal-document.pdf", "habibi.pdf", bornDigital,
}

// Inputs are the PDFs of one run, built once into a cache folder.
type Inputs struct {
	Dir     string
	Samples string // the folder of sample PDFs
}

// Mixed returns a PDF of exactly pages pages, cycling through mixedSources.
func (in Inputs) Mixed(pages int) (string, error) {
	return in.build("mixed-"+strconv.Itoa(pages)+".pdf", mixedSources, pages)
}

// BornDigital returns a PDF of exactly pages pages of the GeoTopo book repeated.
func (in Inputs) BornDigital(pages int) (string, error) {
	return in.build("born-digital-"+strconv.Itoa(pages)+".pdf", []string{bornDigital}, pages)
}

// build joins sources, repeated in turn, into a document of exactly pages
// pages with mutool merge (pdfcpu's merge and trim overflow their stack on
// these samples). The result is cached by name.
func (in Inputs) build(name string, sources []string, pages int) (string, error) {
	out := filepath.Join(in.Dir, name)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(in.Dir, 0o755); err != nil {
		return "", fmt.Errorf("inputs folder: %w", err)
	}
	args, err := in.mergeArgs(sources, pages)
	if err != nil {
		return "", err
	}
	tmp := out + ".tmp"
	cmd := exec.Command("mutool", append([]string{"merge", "-o", tmp, "-O", "compress"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("mutool merge %s (Debian: mupdf-tools): %w: %s", name, err, b)
	}
	return out, os.Rename(tmp, out)
}

// mergeArgs lists source files in turn, each with its page range, until they
// add up to pages; the last one is cut short.
func (in Inputs) mergeArgs(sources []string, pages int) ([]string, error) {
	var args []string
	for total := 0; total < pages; {
		for _, s := range sources {
			p := filepath.Join(in.Samples, s)
			n, err := pageCount(p)
			if err != nil {
				return nil, err
			}
			take := min(n, pages-total)
			args = append(args, p, "1-"+strconv.Itoa(take))
			if total += take; total >= pages {
				break
			}
		}
	}
	return args, nil
}

var pageCounts = map[string]int{}

func pageCount(path string) (int, error) {
	if n, ok := pageCounts[path]; ok {
		return n, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read sample: %w", err)
	}
	d, err := render.Open(b, render.Options{})
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer d.Close()
	pageCounts[path] = d.Pages()
	return d.Pages(), nil
}
