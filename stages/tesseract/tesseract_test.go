package tesseract

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gen2brain/go-fitz"
	"github.com/stretchr/testify/require"
)

// pdfDir holds the real-world test PDFs: shared/ is a sibling of the repo.
const pdfDir = "../../../shared/pdfs"

func requireTesseract(t *testing.T) {
	t.Helper()
	if err := Available(""); err != nil {
		t.Skipf("tesseract with English is not installed (apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd): %v", err)
	}
}

// renderPage renders one page of a test PDF at dpi.
func renderPage(t *testing.T, name string, page int, dpi float64) image.Image {
	t.Helper()
	path := filepath.Join(pdfDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("test PDFs not found at %s: %v", pdfDir, err)
	}
	doc, err := fitz.New(path)
	require.NoError(t, err)
	defer doc.Close()
	img, err := doc.ImageDPI(page, dpi)
	require.NoError(t, err)
	return img
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func TestReadRealPage(t *testing.T) {
	t.Parallel()
	requireTesseract(t)
	page := renderPage(t, "pdflatex-4-pages.pdf", 0, 200)
	words := []string{"Hello", "meaning", "information", "alphabet", "language", "impression"}

	tests := []struct {
		name string
		turn int // clockwise degrees the page is turned before reading
	}{
		{name: "upright", turn: 0},
		{name: "turned 90", turn: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(Params{})
			text, err := r.Read(context.Background(), pngBytes(t, rotate(page, tt.turn)))
			require.NoError(t, err)
			for _, w := range words {
				require.Contains(t, text, w)
			}
			// Paragraph text is re-flowed: the first sentence reads on.
			require.Contains(t, text, "Hello, here is some text without a meaning.")
		})
	}
}

func TestReadTinyScan(t *testing.T) {
	t.Parallel()
	requireTesseract(t)
	// A 3.8 pt page holding a 16×16 fax image: nothing to read, nothing to crash.
	tests := []struct {
		name string
		dpi  float64
	}{
		{name: "as rendered", dpi: 200},
		{name: "scaled up", dpi: 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img := renderPage(t, "imagemagick-CCITTFaxDecode.pdf", 0, tt.dpi)
			_, err := New(Params{}).Read(context.Background(), pngBytes(t, img))
			require.NoError(t, err)
		})
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	blank := image.NewGray(image.Rect(0, 0, 64, 64))
	tests := []struct {
		name   string
		params Params
		image  []byte
		errHas string
	}{
		{name: "not an image", params: Params{}, image: []byte("%PDF-1.4"), errHas: "decode page image"},
		{name: "bad language", params: Params{Languages: "eng;rm"}, image: pngBytes(t, blank), errHas: "bad language"},
		{name: "missing binary", params: Params{Binary: "/nonexistent/tesseract"}, image: pngBytes(t, blank), errHas: "ocr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.params).Read(context.Background(), tt.image)
			require.ErrorContains(t, err, tt.errHas)
		})
	}
}

func TestAvailable(t *testing.T) {
	t.Parallel()
	require.ErrorIs(t, Available("/nonexistent/tesseract"), ErrUnavailable)
	requireTesseract(t)
	r := New(Params{Languages: "eng+zz_none"})
	require.ErrorContains(t, r.Available(context.Background()), `"zz_none"`)
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	r := New(Params{})
	require.Equal(t, DefaultBinary, r.bin)
	require.Equal(t, DefaultLanguages, r.langs)
	require.Equal(t, DefaultTimeout, r.timeout)
	r = New(Params{Binary: "/opt/t", Languages: "eng+deu", Timeout: time.Second})
	require.Equal(t, "/opt/t", r.bin)
	require.Equal(t, "eng+deu", r.langs)
	require.Equal(t, time.Second, r.timeout)
}

func TestParseTSVText(t *testing.T) {
	t.Parallel()
	const header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
	row := func(block, par, line, word, text string) string {
		return "5\t1\t" + block + "\t" + par + "\t" + line + "\t" + word + "\t0\t0\t50\t10\t95.5\t" + text + "\n"
	}
	tests := []struct {
		name string
		tsv  string
		want string
	}{
		{name: "empty", tsv: header, want: ""},
		{
			name: "lines of a paragraph re-flow",
			tsv:  header + row("1", "1", "1", "1", "Hello,") + row("1", "1", "1", "2", "here") + row("1", "1", "2", "1", "is") + row("1", "1", "2", "2", "text."),
			want: "Hello, here is text.",
		},
		{
			name: "hyphenated word is mended",
			tsv:  header + row("1", "1", "1", "1", "taki-") + row("1", "1", "2", "1", "mata"),
			want: "takimata",
		},
		{
			name: "hyphen before a capital stays",
			tsv:  header + row("1", "1", "1", "1", "Baden-") + row("1", "1", "2", "1", "Württemberg"),
			want: "Baden-Württemberg",
		},
		{
			name: "paragraphs and blocks are apart",
			tsv:  header + row("1", "1", "1", "1", "One.") + row("1", "2", "1", "1", "Two.") + row("2", "1", "1", "1", "Three."),
			want: "One.\n\nTwo.\n\nThree.",
		},
		{
			name: "non-word rows are skipped",
			tsv:  header + "4\t1\t1\t1\t1\t0\t0\t0\t50\t10\t-1\t\n" + row("1", "1", "1", "1", "Only") + row("1", "1", "1", "2", " "),
			want: "Only",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, parseTSV(tt.tsv).text())
		})
	}
}

func TestResultOrientationSignals(t *testing.T) {
	t.Parallel()
	words := func(n int, conf float64, w, h int) result {
		var r result
		for range n {
			r.add(word{par: "1", line: "1", text: "word", conf: conf, w: w, h: h})
		}
		return r
	}
	tests := []struct {
		name     string
		res      result
		upright  bool
		minScore float64
		maxScore float64
	}{
		{name: "good horizontal text", res: words(10, 95, 60, 20), upright: true, minScore: 90, maxScore: 100},
		{name: "confident text on end", res: words(10, 95, 20, 60), upright: false, minScore: 0, maxScore: 1},
		{name: "poor horizontal text", res: words(10, 30, 60, 20), upright: false, minScore: 25, maxScore: 35},
		{name: "too few words to judge", res: words(2, 95, 60, 20), upright: false, minScore: 90, maxScore: 100},
		{name: "nothing", res: result{}, upright: false, minScore: 0, maxScore: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.upright, tt.res.upright())
			require.GreaterOrEqual(t, tt.res.score(), tt.minScore)
			require.LessOrEqual(t, tt.res.score(), tt.maxScore)
		})
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	// A 3×2 image with a marked top-left pixel.
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	red := color.RGBA{R: 255, A: 255}
	src.Set(0, 0, red)
	tests := []struct {
		deg    int
		size   image.Point
		marked image.Point // where the top-left pixel lands
	}{
		{deg: 0, size: image.Pt(3, 2), marked: image.Pt(0, 0)},
		{deg: 90, size: image.Pt(2, 3), marked: image.Pt(1, 0)},
		{deg: 180, size: image.Pt(3, 2), marked: image.Pt(2, 1)},
		{deg: 270, size: image.Pt(2, 3), marked: image.Pt(0, 2)},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.deg), func(t *testing.T) {
			t.Parallel()
			out := rotate(src, tt.deg)
			require.Equal(t, tt.size, out.Bounds().Size())
			require.Equal(t, color.RGBAModel.Convert(red), color.RGBAModel.Convert(out.At(tt.marked.X, tt.marked.Y)))
		})
	}
	// Four quarter turns are no turn at all.
	out := image.Image(src)
	for range 4 {
		out = rotate(out, 90)
	}
	require.Equal(t, src.Pix, toRGBA(out).Pix)
}
