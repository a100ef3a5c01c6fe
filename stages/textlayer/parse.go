package textlayer

import (
	"encoding/base64"
	"encoding/xml"
	"image"
	_ "image/jpeg" // MuPDF inlines JPEG images; their header gives the size.
	_ "image/png"
	"strconv"
	"strings"
)

// run is a piece of text set in one font.
type run struct {
	text   string
	size   float64
	bold   bool
	italic bool
	math   bool // set in a maths font: counted as maths, never emphasised
}

// fragment is one <p> of MuPDF's output: a line, or a piece of one.
type fragment struct {
	top, left, height float64
	runs              []run
}

// box is an axis-aligned rectangle in points.
type box struct{ x0, y0, x1, y1 float64 }

// parsed is what one page's HTML holds.
type parsed struct {
	w, h   float64
	frags  []fragment
	images []box
}

// fontState is what an open <span>, <b> or <i> says about the text inside it.
type fontState struct {
	size         float64
	bold, italic bool
	math         bool
}

// parseHTML reads MuPDF's stext HTML. MuPDF writes simple, regular HTML, so
// the standard library's lenient XML decoder is enough: it auto-closes <img>
// and knows the HTML entities. Whatever cannot be read ends the parse and
// keeps what was read so far, because a partial page beats none.
func parseHTML(src string) parsed {
	var p parsed
	d := xml.NewDecoder(strings.NewReader(src))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity

	stack := []fontState{{}}
	var cur *fragment
	for {
		tok, err := d.Token()
		if err != nil {
			if cur != nil { // truncated input: keep the open line
				p.frags = append(p.frags, *cur)
			}
			return p
		}
		switch t := tok.(type) {
		case xml.StartElement:
			top := stack[len(stack)-1]
			switch t.Name.Local {
			case "div":
				st := styleOf(t.Attr)
				if w, ok := st.pt("width"); ok && p.w == 0 {
					p.w = w
				}
				if h, ok := st.pt("height"); ok && p.h == 0 {
					p.h = h
				}
			case "p":
				st := styleOf(t.Attr)
				top, _ := st.pt("top")
				left, _ := st.pt("left")
				lh, _ := st.pt("line-height")
				cur = &fragment{top: top, left: left, height: lh}
			case "img":
				if b, ok := imageBox(t.Attr); ok {
					p.images = append(p.images, b)
				}
			case "span":
				st := styleOf(t.Attr)
				if size, ok := st.pt("font-size"); ok {
					top.size = size
				}
				fam := st["font-family"]
				top.bold = top.bold || boldFont(fam)
				top.italic = top.italic || italicFont(fam)
				top.math = mathFont(fam)
			case "b", "strong":
				top.bold = true
			case "i", "em":
				top.italic = true
			}
			// Every start gets an end, even <img>: the decoder's auto-close
			// makes one up.
			stack = append(stack, top)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			if t.Name.Local == "p" && cur != nil {
				p.frags = append(p.frags, *cur)
				cur = nil
			}
		case xml.CharData:
			if cur == nil {
				continue
			}
			st := stack[len(stack)-1]
			cur.runs = append(cur.runs, run{text: string(t), size: st.size, bold: st.bold, italic: st.italic, math: st.math})
		}
	}
}

// style is a parsed CSS style attribute.
type style map[string]string

func styleOf(attrs []xml.Attr) style {
	s := style{}
	for _, decl := range strings.Split(attr(attrs, "style"), ";") {
		k, v, ok := strings.Cut(decl, ":")
		if ok {
			s[strings.TrimSpace(strings.ToLower(k))] = strings.TrimSpace(v)
		}
	}
	return s
}

// pt reads a length such as "10.9pt" (MuPDF writes points; px are taken as
// points too, which is what MuPDF means by them).
func (s style) pt(key string) (float64, bool) {
	v, ok := s[key]
	if !ok {
		return 0, false
	}
	v = strings.TrimSuffix(strings.TrimSuffix(v, "pt"), "px")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f, err == nil
}

func attr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if strings.EqualFold(a.Name.Local, name) {
			return a.Value
		}
	}
	return ""
}

// imageBox finds where an <img> sits on the page, in points. Older MuPDF
// writes top/left/width/height in points; newer writes a CSS matrix in CSS
// pixels (96 to the inch) applied about the centre of the image at its
// natural pixel size, so the size must be read from the inlined image's
// header.
func imageBox(attrs []xml.Attr) (box, bool) {
	st := styleOf(attrs)
	if w, ok := st.pt("width"); ok {
		h, _ := st.pt("height")
		x, _ := st.pt("left")
		y, _ := st.pt("top")
		return box{x, y, x + w, y + h}, w > 0 && h > 0
	}
	m, ok := cssMatrix(st["transform"])
	if !ok {
		return box{}, false
	}
	iw, ih, ok := dataURISize(attr(attrs, "src"))
	if !ok {
		return box{}, false
	}
	b := transformedBox(m, iw, ih)
	const ptPerPx = 72.0 / 96
	return box{b.x0 * ptPerPx, b.y0 * ptPerPx, b.x1 * ptPerPx, b.y1 * ptPerPx}, true
}

// cssMatrix parses "matrix(a,b,c,d,e,f)".
func cssMatrix(v string) ([6]float64, bool) {
	var m [6]float64
	inner, ok := strings.CutPrefix(strings.TrimSpace(v), "matrix(")
	if !ok {
		return m, false
	}
	parts := strings.Split(strings.TrimSuffix(inner, ")"), ",")
	if len(parts) != 6 {
		return m, false
	}
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return m, false
		}
		m[i] = f
	}
	return m, true
}

// transformedBox maps the w×h image through a CSS matrix whose origin is the
// image's centre and returns the bounding box of the result.
func transformedBox(m [6]float64, w, h float64) box {
	cx, cy := w/2, h/2
	b := box{x0: 1e18, y0: 1e18, x1: -1e18, y1: -1e18}
	for _, c := range [][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}} {
		x, y := c[0]-cx, c[1]-cy
		px := m[0]*x + m[2]*y + m[4] + cx
		py := m[1]*x + m[3]*y + m[5] + cy
		b.x0, b.x1 = min(b.x0, px), max(b.x1, px)
		b.y0, b.y1 = min(b.y0, py), max(b.y1, py)
	}
	return b
}

// dataURISize reads the pixel size of a base64 data: URI image from its
// header only.
func dataURISize(src string) (float64, float64, bool) {
	_, data, ok := strings.Cut(src, "base64,")
	if !ok {
		return 0, 0, false
	}
	data = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, data)
	cfg, _, err := image.DecodeConfig(base64.NewDecoder(base64.StdEncoding, strings.NewReader(data)))
	if err != nil {
		return 0, 0, false
	}
	return float64(cfg.Width), float64(cfg.Height), true
}

// Font-name heuristics back up MuPDF's own <b>/<i>, which it derives from the
// font descriptor and which TeX's Type 1 fonts often leave unset.
var (
	boldNames   = []string{"bold", "black", "heavy", "semibold", "demi"}
	boldTeX     = []string{"cmbx", "cmssbx", "sfbx", "sfsx", "ecbx", "lmbx"}
	italicNames = []string{"italic", "oblique"}
	italicTeX   = []string{"cmti", "cmsl", "sfti", "sfsl", "ecti", "cmssi"}
	mathTeX     = []string{"cmmi", "cmsy", "cmex", "msam", "msbm", "eufm", "eusm", "euex", "rsfs", "stixmath", "cambria math", "symbol"}
)

func family(f string) string {
	name, _, _ := strings.Cut(f, ",")
	return strings.ToLower(strings.Trim(strings.TrimSpace(name), `'"`))
}

func boldFont(f string) bool {
	n := family(f)
	return containsAny(n, boldNames) || hasAnyPrefix(n, boldTeX)
}

func italicFont(f string) bool {
	n := family(f)
	return containsAny(n, italicNames) || hasAnyPrefix(n, italicTeX)
}

func mathFont(f string) bool {
	n := family(f)
	return hasAnyPrefix(n, mathTeX) || strings.Contains(n, "math")
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
