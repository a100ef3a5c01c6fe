package ocrsim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testPNG draws a small page whose pixels depend on seed.
func testPNG(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: uint8(x * seed), G: uint8(y + seed), B: uint8(seed), A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func dataURL(img []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
}

// chatBody is an OpenAI chat completion request with one image and prompt.
func chatBody(model, prompt, imageURL string) string {
	b, _ := json.Marshal(map[string]any{
		"model": model, "temperature": 0, "max_tokens": 100,
		"messages": []any{map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": imageURL}},
			map[string]any{"type": "text", "text": prompt},
		}}},
	})
	return string(b)
}

func post(t testing.TB, ctx context.Context, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/chat/completions", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func content(t testing.TB, resp map[string]any) (string, string) {
	t.Helper()
	c := resp["choices"].([]any)[0].(map[string]any)
	return c["message"].(map[string]any)["content"].(string), c["finish_reason"].(string)
}

const nanonetsPrompt = "Extract the text ... <page_number>14</page_number> ..."

func TestImageID(t *testing.T) {
	t.Parallel()
	a, err := ImageID(testPNG(t, 1))
	require.NoError(t, err)
	again, err := ImageID(testPNG(t, 1))
	require.NoError(t, err)
	b, err := ImageID(testPNG(t, 2))
	require.NoError(t, err)
	require.Regexp(t, `^page-[0-9a-f]{16}$`, a)
	require.Equal(t, a, again)
	require.NotEqual(t, a, b)
	_, err = ImageID([]byte("not an image"))
	require.Error(t, err)
}

func TestChatCompletions(t *testing.T) {
	t.Parallel()
	srv, url, stop, err := Start(Options{})
	require.NoError(t, err)
	t.Cleanup(stop)
	img := testPNG(t, 3)
	id, err := ImageID(img)
	require.NoError(t, err)
	tests := []struct {
		name     string
		body     string
		status   int
		contains []string
	}{
		{"deepseek", chatBody(DeepSeekModel, deepseekPrompt, dataURL(img)), 200,
			[]string{"<|ref|>text<|/ref|><|det|>[[", id + " 64x48", "<｜end▁of▁sentence｜>"}},
		{"nanonets", chatBody(NanonetsModel, nanonetsPrompt, dataURL(img)), 200,
			[]string{id + " 64x48", "<watermark>SIM</watermark>", "<page_number>1</page_number>"}},
		{"unknown model", chatBody("other/model", deepseekPrompt, dataURL(img)), 404, []string{"does not exist"}},
		{"undecodable image", chatBody(DeepSeekModel, deepseekPrompt, dataURL([]byte("garbage"))), 400, []string{"decode image"}},
		{"remote image", chatBody(DeepSeekModel, deepseekPrompt, "https://example.com/a.png"), 400, []string{"data: URL"}},
		{"wrong deepseek prompt", chatBody(DeepSeekModel, "Free OCR.", dataURL(img)), 400, []string{"prompt"}},
		{"wrong nanonets prompt", chatBody(NanonetsModel, "Read this.", dataURL(img)), 400, []string{"page_number"}},
		{"no image", `{"model":"` + DeepSeekModel + `","messages":[{"role":"user","content":"hi"}]}`, 400, []string{"no image"}},
		{"bad json", `{"model":`, 400, []string{"invalid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, resp := post(t, t.Context(), url, tt.body)
			require.Equal(t, tt.status, status, resp)
			text := fmt.Sprint(resp["error"])
			if status == 200 {
				text, _ = content(t, resp)
				require.Positive(t, resp["usage"].(map[string]any)["completion_tokens"])
			}
			for _, want := range tt.contains {
				require.Contains(t, text, want)
			}
		})
	}
	t.Cleanup(func() {
		st := srv.Stats()
		require.EqualValues(t, len(tests), st.Requests)
		require.EqualValues(t, 2, st.Served)
		require.EqualValues(t, len(tests)-2, st.Rejected)
		require.EqualValues(t, 2, st.Images[id])
	})
}

func TestBatchLimitsConcurrency(t *testing.T) {
	t.Parallel()
	srv, url, stop, err := Start(Options{Batch: 4, Latency: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(stop)
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			statuses[i], _ = post(t, t.Context(), url, chatBody(DeepSeekModel, deepseekPrompt, dataURL(testPNG(t, i))))
		})
	}
	wg.Wait()
	for _, s := range statuses {
		require.Equal(t, http.StatusOK, s)
	}
	st := srv.Stats()
	require.EqualValues(t, 4, st.PeakConcurrency)
	require.EqualValues(t, 20, st.Served)
	require.EqualValues(t, 20, st.ByModel[DeepSeekModel])
	require.Len(t, st.Images, 20)
	require.EqualValues(t, 20, st.DistinctImages)
	require.Zero(t, st.InFlight)
	require.Zero(t, st.Queued)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	body := chatBody(DeepSeekModel, deepseekPrompt, dataURL(testPNG(t, 4)))
	tests := []struct {
		name   string
		plan   FaultPlan
		status int
		finish string
		check  func(t *testing.T, content string)
	}{
		{"fail first", FaultPlan{FailFirst: 1}, 500, "", nil},
		{"500 every", FaultPlan{Status500Every: 1}, 500, "", nil},
		{"empty", FaultPlan{EmptyEvery: 1}, 200, "stop", func(t *testing.T, c string) { require.Empty(t, c) }},
		{"repeat", FaultPlan{RepeatEvery: 1}, 200, "length", func(t *testing.T, c string) {
			require.True(t, strings.HasSuffix(c, strings.Repeat(repeatUnit, 20)))
			require.NotContains(t, c, "end▁of▁sentence")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, url, stop, err := Start(Options{Faults: tt.plan})
			require.NoError(t, err)
			t.Cleanup(stop)
			status, resp := post(t, t.Context(), url, body)
			require.Equal(t, tt.status, status)
			if tt.check != nil {
				c, finish := content(t, resp)
				require.Equal(t, tt.finish, finish)
				tt.check(t, c)
			}
		})
	}
}

func TestMalformedAndHang(t *testing.T) {
	t.Parallel()
	srv, url, stop, err := Start(Options{Faults: FaultPlan{MalformedEvery: 2, HangEvery: 3}})
	require.NoError(t, err)
	t.Cleanup(stop)
	body := chatBody(DeepSeekModel, deepseekPrompt, dataURL(testPNG(t, 5)))

	status, _ := post(t, t.Context(), url, body) // request 1: fine
	require.Equal(t, http.StatusOK, status)

	resp, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(body)) // request 2: malformed
	require.NoError(t, err)
	var v any
	require.Error(t, json.NewDecoder(resp.Body).Decode(&v))
	require.NoError(t, resp.Body.Close())

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond) // request 3: hangs
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/chat/completions", strings.NewReader(body))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.EqualValues(t, 2, srv.Stats().Faults)
}

func TestFaultFor(t *testing.T) {
	t.Parallel()
	plan := FaultPlan{FailFirst: 2, Status500Every: 5, HangEvery: 7, MalformedEvery: 3, EmptyEvery: 4, RepeatEvery: 11}
	tests := []struct {
		n    int64
		want fault
	}{
		{1, fault500}, {2, fault500}, {3, faultMalformed}, {4, faultEmpty}, {5, fault500},
		{6, faultMalformed}, {7, faultHang}, {11, faultRepeat}, {13, faultNone}, {35, fault500},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, plan.faultFor(tt.n))
		})
	}
	require.Equal(t, faultNone, FaultPlan{}.faultFor(1))
}

func TestModelsAndStatsEndpoints(t *testing.T) {
	t.Parallel()
	_, url, stop, err := Start(Options{Models: []string{"a/deepseek-x"}})
	require.NoError(t, err)
	t.Cleanup(stop)
	status, _ := post(t, t.Context(), url, chatBody("a/deepseek-x", deepseekPrompt, dataURL(testPNG(t, 6))))
	require.Equal(t, http.StatusOK, status)
	root := strings.TrimSuffix(url, "/v1")
	tests := []struct {
		path   string
		want   string
		absent string
	}{
		{url + "/models", `"id":"a/deepseek-x"`, ""},
		{root + "/stats", `"peak_concurrency":1`, `"images"`},
		{root + "/stats?images=1", `"images":{"page-`, ""},
		{root + "/health", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			resp, err := http.Get(tt.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var buf bytes.Buffer
			_, err = buf.ReadFrom(resp.Body)
			require.NoError(t, err)
			require.Contains(t, buf.String(), tt.want)
			if tt.absent != "" {
				require.NotContains(t, buf.String(), tt.absent)
			}
		})
	}
}
