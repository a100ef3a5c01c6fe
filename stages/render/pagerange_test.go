package render

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPageRange(t *testing.T) {
	tests := []struct {
		in    string
		total int
		want  []int
		canon string
		bad   bool // parse error
		over  bool // beyond the document
	}{
		{in: "", total: 3, want: []int{1, 2, 3}, canon: ""},
		{in: "1-5,8,10-", total: 12, want: []int{1, 2, 3, 4, 5, 8, 10, 11, 12}, canon: "1-5,8,10-"},
		{in: " 2 , 2-3 ", total: 4, want: []int{2, 3}, canon: "2,2-3"},
		{in: "3-", total: 3, want: []int{3}, canon: "3-"},
		{in: "4", total: 3, over: true},
		{in: "2-9", total: 3, over: true},
		{in: "0", bad: true},
		{in: "3-1", bad: true},
		{in: "-3", bad: true},
		{in: "1,,2", bad: true},
		{in: "a", bad: true},
		{in: "1-2-3", bad: true},
		{in: "999999999", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParsePageRange(tt.in)
			if tt.bad {
				require.ErrorIs(t, err, ErrPageRange)
				return
			}
			require.NoError(t, err)
			pages, err := r.Pages(tt.total)
			if tt.over {
				require.ErrorIs(t, err, ErrPageRange)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, pages)
			require.Equal(t, tt.canon, r.String())
		})
	}
}

func TestRuns(t *testing.T) {
	require.Equal(t, [][2]int{{1, 3}, {4, 5}, {8, 8}, {10, 12}}, Runs([]int{1, 2, 3, 4, 5, 8, 10, 11, 12}, 3))
	require.Empty(t, Runs(nil, 8))
}

// tinyWebP is a 1x1 lossless WebP.
const tinyWebP = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

func TestImageKinds(t *testing.T) {
	var pngBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 64, 48))))
	webp, err := base64.StdEncoding.DecodeString(tinyWebP)
	require.NoError(t, err)
	tests := []struct {
		name string
		data []byte
		kind string
	}{
		{"png", pngBuf.Bytes(), KindPNG},
		{"webp", webp, KindWebP},
		{"pdf", []byte("%PDF-1.7\n..."), KindPDF},
		{"gif", []byte("GIF89a......"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.kind, Sniff(tt.data))
			if tt.kind == KindPNG || tt.kind == KindWebP {
				d, err := Open(tt.data, Options{})
				require.NoError(t, err)
				defer d.Close()
				require.Equal(t, 1, d.Pages())
				p, err := d.Measure(t.Context(), 1)
				require.NoError(t, err)
				require.NoError(t, d.Render(t.Context(), &p))
				require.NotEmpty(t, p.Image)
			}
		})
	}
	_, err = Open([]byte("\x89PNG\r\n\x1a\ngarbage"), Options{})
	require.ErrorIs(t, err, ErrBadImage)
}
