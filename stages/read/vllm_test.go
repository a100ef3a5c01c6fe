package read

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/ocrsim"
)

var quiet = slog.New(slog.DiscardHandler)

// testPNG draws a small page whose pixels depend on seed.
func testPNG(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 80, 60))
	for y := range 60 {
		for x := range 80 {
			img.Set(x, y, color.RGBA{R: uint8(x + seed), G: uint8(y * seed), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// startSim serves an ocrsim for one test.
func startSim(t *testing.T, o ocrsim.Options) (*ocrsim.Server, string) {
	t.Helper()
	srv, url, stop, err := ocrsim.Start(o)
	require.NoError(t, err)
	t.Cleanup(stop)
	return srv, url
}

func newEngine(t *testing.T, p VLLMParams) *VLLM {
	t.Helper()
	p.Logger = quiet
	v, err := NewVLLM(p)
	require.NoError(t, err)
	return v
}

func TestVLLMRoundTrip(t *testing.T) {
	t.Parallel()
	_, url := startSim(t, ocrsim.Options{})
	img := testPNG(t, 7)
	id, err := ocrsim.ImageID(img)
	require.NoError(t, err)
	tests := []struct {
		kind    string
		want    string
		absent  []string
		present []string
	}{
		{KindDeepSeek, id + " 80x60\n", []string{"<|ref|>", "<|det|>", "end▁of▁sentence"}, nil},
		{KindNanonets, id + " 80x60\n", []string{"<page_number>", "<watermark>"}, []string{"\n\n*Watermark: SIM*"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			v := newEngine(t, VLLMParams{Kind: tt.kind, BaseURL: url})
			res, err := v.Read(t.Context(), Page{JobID: "j1", Page: 1, Image: img, MIME: "image/png"})
			require.NoError(t, err)
			require.Equal(t, ReaderVLLM, res.Reader)
			require.Equal(t, 1, res.Attempts)
			require.True(t, strings.HasPrefix(res.Markdown, tt.want), res.Markdown)
			for _, s := range tt.absent {
				require.NotContains(t, res.Markdown, s)
			}
			for _, s := range tt.present {
				require.Contains(t, res.Markdown, s)
			}
		})
	}
}

func TestVLLMNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		model string
		image []byte
		want  string
	}{
		{"undecodable image", "", []byte("\x89PNG\r\n\x1a\n but not really"), "400"},
		{"unknown model", "someone/else", nil, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, url := startSim(t, ocrsim.Options{})
			img := tt.image
			if img == nil {
				img = testPNG(t, 1)
			}
			v := newEngine(t, VLLMParams{Kind: KindDeepSeek, BaseURL: url, Model: tt.model, MaxRetries: 3})
			_, err := v.Read(t.Context(), Page{Page: 2, Image: img, MIME: "image/png"})
			require.ErrorContains(t, err, "not retryable")
			require.ErrorContains(t, err, tt.want)
			st := srv.Stats()
			require.EqualValues(t, 1, st.Requests)
			require.EqualValues(t, 1, st.Rejected)
		})
	}
}

func TestVLLMRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		plan     ocrsim.FaultPlan
		warmUp   bool // one read first, so an "every 2" fault hits the measured read's first attempt
		attempts int
	}{
		{"fail first two", ocrsim.FaultPlan{FailFirst: 2}, false, 3},
		{"5xx", ocrsim.FaultPlan{Status500Every: 2}, true, 2},
		{"malformed json", ocrsim.FaultPlan{MalformedEvery: 2}, true, 2},
		{"empty answer", ocrsim.FaultPlan{EmptyEvery: 2}, true, 2},
		{"repetition loop", ocrsim.FaultPlan{RepeatEvery: 2}, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, url := startSim(t, ocrsim.Options{Faults: tt.plan})
			img := testPNG(t, 3)
			id, err := ocrsim.ImageID(img)
			require.NoError(t, err)
			v := newEngine(t, VLLMParams{Kind: KindDeepSeek, BaseURL: url, MaxRetries: 3})
			page := Page{Page: 1, Image: img, MIME: "image/png"}
			if tt.warmUp {
				_, err := v.Read(t.Context(), page)
				require.NoError(t, err)
			}
			res, err := v.Read(t.Context(), page)
			require.NoError(t, err)
			require.Equal(t, tt.attempts, res.Attempts)
			require.Contains(t, res.Markdown, id)
			require.NotContains(t, res.Markdown, "| sim | loop |")
		})
	}
}

func TestVLLMGivesUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		plan    ocrsim.FaultPlan
		timeout time.Duration
		is      error
		cause   string
	}{
		{"hang", ocrsim.FaultPlan{HangEvery: 1}, 100 * time.Millisecond, context.DeadlineExceeded, "timed out"},
		{"always 500", ocrsim.FaultPlan{Status500Every: 1}, 0, nil, "server answered 500"},
		{"always malformed", ocrsim.FaultPlan{MalformedEvery: 1}, 0, nil, "malformed response"},
		{"always looping", ocrsim.FaultPlan{RepeatEvery: 1}, 0, ErrRepetition, "repetition loop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, url := startSim(t, ocrsim.Options{Faults: tt.plan})
			v := newEngine(t, VLLMParams{Kind: KindNanonets, BaseURL: url, MaxRetries: 2, Timeout: tt.timeout})
			_, err := v.Read(t.Context(), Page{Page: 4, Image: testPNG(t, 4), MIME: "image/png"})
			require.ErrorContains(t, err, "gave up after 3 attempts")
			require.ErrorContains(t, err, tt.cause)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			require.EqualValues(t, 3, srv.Stats().Requests)
		})
	}
}

func TestVLLMBlankPage(t *testing.T) {
	t.Parallel()
	srv, url := startSim(t, ocrsim.Options{Faults: ocrsim.FaultPlan{EmptyEvery: 1}})
	v := newEngine(t, VLLMParams{Kind: KindDeepSeek, BaseURL: url, MaxRetries: 1})
	res, err := v.Read(t.Context(), Page{Page: 1, Image: testPNG(t, 9), MIME: "image/png"})
	require.NoError(t, err)
	require.Empty(t, res.Markdown)
	require.Equal(t, 2, res.Attempts)
	require.EqualValues(t, 2, srv.Stats().Requests)
}

func TestVLLMCancel(t *testing.T) {
	t.Parallel()
	_, url := startSim(t, ocrsim.Options{Faults: ocrsim.FaultPlan{HangEvery: 1}})
	v := newEngine(t, VLLMParams{Kind: KindDeepSeek, BaseURL: url, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := v.Read(ctx, Page{Page: 1, Image: testPNG(t, 2), MIME: "image/png"})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "cancelled during attempt 1")
	require.Less(t, time.Since(start), 30*time.Second) // far below the attempt timeout
}

func TestVLLMTextLayerOnly(t *testing.T) {
	t.Parallel()
	v := newEngine(t, VLLMParams{Kind: KindDeepSeek, BaseURL: "http://127.0.0.1:1/v1"})
	tests := []struct {
		name    string
		page    Page
		want    Result
		wantErr string
	}{
		{"text layer", Page{Page: 1, TextLayer: "# Hi"}, Result{Markdown: "# Hi", Reader: ReaderTextLayer, Attempts: 1}, ""},
		{"nothing", Page{Page: 2}, Result{}, "no image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Read(t.Context(), tt.page)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestVLLMReady(t *testing.T) {
	t.Parallel()
	_, url := startSim(t, ocrsim.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/v1"
	require.NoError(t, ln.Close())
	tests := []struct {
		name    string
		url     string
		model   string
		wantErr string
	}{
		{"sim", url, "", ""},
		{"closed port", closed, "", "not ready"},
		{"model not served", url, "other/model", "does not serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newEngine(t, VLLMParams{Kind: KindNanonets, BaseURL: tt.url, Model: tt.model})
			err := v.Ready(t.Context())
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestNewVLLM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       VLLMParams
		wantURL string
		wantErr string
	}{
		{"v1 kept", VLLMParams{Kind: KindDeepSeek, BaseURL: "http://gpu:8000/v1/"}, "http://gpu:8000/v1", ""},
		{"bare host gets v1", VLLMParams{Kind: KindNanonets, BaseURL: "http://gpu:8001"}, "http://gpu:8001/v1", ""},
		{"proxy path kept", VLLMParams{Kind: KindNanonets, BaseURL: "https://gw/ocr/v1"}, "https://gw/ocr/v1", ""},
		{"unknown kind", VLLMParams{Kind: "tesseract", BaseURL: "http://gpu:8000/v1"}, "", "unknown kind"},
		{"no url", VLLMParams{Kind: KindDeepSeek}, "", "base URL"},
		{"no scheme", VLLMParams{Kind: KindDeepSeek, BaseURL: "gpu:8000"}, "", "base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVLLM(tt.p)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantURL, v.p.BaseURL)
			require.Equal(t, models[tt.p.Kind].defaultModel, v.p.Model)
			require.Equal(t, defaultTimeout, v.p.Timeout)
			require.Equal(t, defaultMaxRetries, v.p.MaxRetries)
		})
	}
}

// TestRequest checks the request body: greedy temperature actually on the
// wire, max_tokens, the image as a data URL before the prompt.
func TestRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   string
		mime   string
		prompt string
	}{
		{KindDeepSeek, "image/png", deepseekPrompt},
		{KindNanonets, "", nanonetsPrompt}, // sniffed
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			v := newEngine(t, VLLMParams{Kind: tt.kind, BaseURL: "http://gpu/v1", MaxTokens: 123})
			b, err := json.Marshal(v.request(Page{Image: testPNG(t, 1), MIME: tt.mime}))
			require.NoError(t, err)
			var body struct {
				Temperature *float64 `json:"temperature"`
				MaxTokens   int      `json:"max_tokens"`
				Messages    []struct {
					Content []struct {
						Type     string `json:"type"`
						Text     string `json:"text"`
						ImageURL struct {
							URL string `json:"url"`
						} `json:"image_url"`
					} `json:"content"`
				} `json:"messages"`
			}
			require.NoError(t, json.Unmarshal(b, &body))
			require.NotNil(t, body.Temperature, "temperature must be sent, or vLLM uses the model's sampling defaults")
			require.Less(t, *body.Temperature, 1e-5)
			require.Equal(t, 123, body.MaxTokens)
			require.Len(t, body.Messages, 1)
			parts := body.Messages[0].Content
			require.Len(t, parts, 2)
			require.True(t, strings.HasPrefix(parts[0].ImageURL.URL, "data:image/png;base64,"))
			require.Equal(t, tt.prompt, parts[1].Text)
		})
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"transport", errors.New("connection refused"), true},
		{"timeout", fmt.Errorf("attempt: %w", context.DeadlineExceeded), true},
		{"empty", ErrEmptyAnswer, true},
		{"loop", ErrRepetition, true},
		{"500", apiErr(500), true},
		{"503", apiErr(503), true},
		{"429", apiErr(429), true},
		{"400", apiErr(400), false},
		{"404", apiErr(404), false},
		{"413 plain body", reqErr(413), false},
		{"502 plain body", reqErr(502), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, retryable(tt.err))
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		retry int
		max   time.Duration
	}{
		{1, backoffBase}, {2, 2 * backoffBase}, {5, backoffCap}, {40, backoffCap},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.retry), func(t *testing.T) {
			t.Parallel()
			for range 200 {
				d := backoff(tt.retry)
				require.Positive(t, d)
				require.LessOrEqual(t, d, tt.max+time.Millisecond)
			}
		})
	}
}
