package read

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Model kinds, as in VLLMParams.Kind.
const (
	KindDeepSeek = "deepseek"
	KindNanonets = "nanonets"
)

const (
	defaultTimeout     = 120 * time.Second
	defaultMaxRetries  = 3
	defaultMaxTokens   = 8192
	defaultConcurrency = 16
	// readyTimeout bounds one readiness probe: a healthy vLLM answers
	// /v1/models at once even under full load.
	readyTimeout = 3 * time.Second
	// probeConns serves /readyz and the handlers waiting for a server at once.
	probeConns = 4
)

// greedy is the temperature sent for "temperature 0". go-openai drops a zero
// temperature from the request (omitempty) and vLLM then samples with the
// model's generation_config defaults; vLLM treats any temperature below 1e-5
// as greedy decoding, so the smallest float32 means exactly temperature 0.
const greedy = math.SmallestNonzeroFloat32

// model is what differs between the OCR models: the prompt they were
// trained on and the clean-up of their output.
type model struct {
	prompt       string
	clean        func(string) string
	defaultModel string
}

var models = map[string]model{
	KindDeepSeek: {prompt: deepseekPrompt, clean: cleanDeepSeekRegions, defaultModel: deepseekDefaultModel}, // regions.go
	KindNanonets: {prompt: nanonetsPrompt, clean: cleanNanonets, defaultModel: nanonetsDefaultModel},
}

// VLLMParams configure a VLLM engine. Zero values take the defaults.
type VLLMParams struct {
	Kind        string        // KindDeepSeek or KindNanonets
	BaseURL     string        // ends in /v1; a bare host gets /v1 appended
	Model       string        // default deepseek-ai/DeepSeek-OCR or nanonets/Nanonets-OCR2-3B
	APIKey      string        // optional (vllm serve --api-key)
	Timeout     time.Duration // per attempt (OCR_TIMEOUT), default 120s
	MaxRetries  int           // retries after the first attempt (OCR_MAX_RETRIES), default 3; negative: none
	MaxTokens   int           // default 8192
	Concurrency int           // calls in flight at once; sizes the connection pool, default 16
	Logger      *slog.Logger
}

// VLLM reads pages with an OCR model served by vLLM.
type VLLM struct {
	p      VLLMParams
	model  model
	client *openai.Client
	// probe has its own connection pool: the OCR pool may be saturated by
	// calls that each take minutes, and a readiness probe queued behind them
	// would report a healthy server as down.
	probe *openai.Client
	log   *slog.Logger
}

// NewVLLM validates p, fills in defaults and builds the engine. It does not
// contact the server; Ready does.
func NewVLLM(p VLLMParams) (*VLLM, error) {
	m, ok := models[p.Kind]
	if !ok {
		return nil, fmt.Errorf("vllm engine: unknown kind %q (want %q or %q)", p.Kind, KindDeepSeek, KindNanonets)
	}
	base, err := apiBase(p.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("vllm engine %s: %w", p.Kind, err)
	}
	p.BaseURL = base
	p = withDefaults(p, m)
	cfg := openai.DefaultConfig(p.APIKey)
	cfg.BaseURL = p.BaseURL
	cfg.HTTPClient = &http.Client{Transport: transport(p.Concurrency)}
	probeCfg := cfg
	probeCfg.HTTPClient = &http.Client{Transport: transport(probeConns), Timeout: readyTimeout}
	return &VLLM{
		p: p, model: m,
		client: openai.NewClientWithConfig(cfg),
		probe:  openai.NewClientWithConfig(probeCfg),
		log:    p.Logger.With(slog.String("stage", "ocr-"+p.Kind), slog.String("engine", p.Kind), slog.String("model", p.Model)),
	}, nil
}

func withDefaults(p VLLMParams, m model) VLLMParams {
	if p.Model == "" {
		p.Model = m.defaultModel
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultTimeout
	}
	switch {
	case p.MaxRetries == 0:
		p.MaxRetries = defaultMaxRetries
	case p.MaxRetries < 0:
		p.MaxRetries = 0
	}
	if p.MaxTokens <= 0 {
		p.MaxTokens = defaultMaxTokens
	}
	if p.Concurrency <= 0 {
		p.Concurrency = defaultConcurrency
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	return p
}

// apiBase checks the server URL and appends /v1 to a bare host, the usual
// slip when configuring a vLLM address.
func apiBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("base URL %q: want http(s)://host[:port]/v1", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1"
	}
	return u.String(), nil
}

// transport keeps up to n connections to the server alive so that n
// concurrent calls reuse them instead of opening (and leaving in TIME_WAIT)
// a connection per page; Go's default keeps only 2 idle per host.
func transport(n int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = n
	t.MaxIdleConnsPerHost = n
	t.MaxConnsPerHost = n
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// Read sends the page image to the model and returns its cleaned Markdown,
// retrying transient failures (see retryable) with backoff. A page without an
// image but with a text layer is answered from the text layer.
func (v *VLLM) Read(ctx context.Context, p Page) (Result, error) {
	if len(p.Image) == 0 {
		if p.TextLayer != "" {
			return Result{Markdown: p.TextLayer, Reader: ReaderTextLayer, Attempts: 1}, nil
		}
		return Result{}, fmt.Errorf("%s page %d: no image to read", v.p.Kind, p.Page)
	}
	req := v.request(p)
	log := v.log.With(slog.String("job_id", p.JobID), slog.Int("page", p.Page))
	tries := v.p.MaxRetries + 1
	var err error
	blanks := 0
	for attempt := 1; attempt <= tries; attempt++ {
		if attempt > 1 {
			if serr := sleep(ctx, backoff(attempt-1)); serr != nil {
				return Result{}, fmt.Errorf("%s page %d: cancelled after %d attempts: %w (last error: %v)", v.p.Kind, p.Page, attempt-1, serr, err)
			}
		}
		var md string
		md, err = v.attempt(ctx, log, req)
		if err == nil {
			return Result{Markdown: md, Reader: ReaderVLLM, Attempts: attempt}, nil
		}
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("%s page %d: cancelled during attempt %d: %w", v.p.Kind, p.Page, attempt, ctx.Err())
		}
		if !retryable(err) {
			return Result{}, fmt.Errorf("%s page %d: attempt %d, not retryable: %w", v.p.Kind, p.Page, attempt, err)
		}
		if errors.Is(err, errBlank) {
			blanks++
		}
		log.Warn("ocr attempt failed", slog.Int("attempt", attempt), slog.Int("of", tries), slog.String("error", err.Error()))
	}
	if blanks == tries {
		// The model finished normally with nothing to say every time: the page
		// is blank (a scanned empty back side), not failing.
		log.Warn("ocr answered empty on every attempt; taking the page as blank", slog.Int("attempts", tries))
		return Result{Markdown: "", Reader: ReaderVLLM, Attempts: tries}, nil
	}
	return Result{}, fmt.Errorf("%s page %d: gave up after %d attempts: %w", v.p.Kind, p.Page, tries, err)
}

// request builds the chat completion for one page: one user message with the
// image first (the prompts refer to "the above document") and the prompt.
func (v *VLLM) request(p Page) openai.ChatCompletionRequest {
	mime := p.MIME
	if mime == "" {
		mime = http.DetectContentType(p.Image)
	}
	dataURL := "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(p.Image)
	return openai.ChatCompletionRequest{
		Model:       v.p.Model,
		Temperature: greedy,
		MaxTokens:   v.p.MaxTokens,
		Messages: []openai.ChatCompletionMessage{{
			Role: openai.ChatMessageRoleUser,
			MultiContent: []openai.ChatMessagePart{
				{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: dataURL}},
				{Type: openai.ChatMessagePartTypeText, Text: v.model.prompt},
			},
		}},
	}
}

// attempt makes one call bounded by the per-attempt timeout and checks the
// answer. The returned error names the cause.
func (v *VLLM) attempt(ctx context.Context, log *slog.Logger, req openai.ChatCompletionRequest) (string, error) {
	actx, cancel := context.WithTimeout(ctx, v.p.Timeout)
	defer cancel()
	resp, err := v.client.CreateChatCompletion(actx, req)
	if err != nil {
		return "", describe(err, actx, v.p.Timeout)
	}
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("%w: no choices", ErrEmptyAnswer)
	}
	c := resp.Choices[0]
	raw := c.Message.Content
	if c.FinishReason == openai.FinishReasonLength {
		if repetitionLoop(raw) {
			return "", fmt.Errorf("%w: cut off at %d tokens", ErrRepetition, resp.Usage.CompletionTokens)
		}
		log.Warn("ocr answer truncated at max_tokens", slog.Int("max_tokens", v.p.MaxTokens))
	}
	if strings.TrimSpace(raw) == "" {
		if c.FinishReason == openai.FinishReasonStop {
			return "", errBlank
		}
		return "", fmt.Errorf("%w (finish_reason %q)", ErrEmptyAnswer, c.FinishReason)
	}
	return v.model.clean(raw), nil
}

// describe wraps a failed call's error with its cause in words.
func describe(err error, actx context.Context, timeout time.Duration) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case httpStatus(err) != 0:
		return fmt.Errorf("server answered %d: %w", httpStatus(err), err)
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("attempt timed out after %s: %w", timeout, err)
	case errors.As(err, &syn), errors.As(err, &typ), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("malformed response: %w", err)
	default:
		return fmt.Errorf("transport: %w", err)
	}
}

// Ready checks that the server answers GET /models and serves this engine's
// model. It is quick, for /readyz and for holding pages while a server is
// down instead of spending their retries.
func (v *VLLM) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	list, err := v.probe.ListModels(ctx)
	if err != nil {
		return fmt.Errorf("%s server %s not ready: %w", v.p.Kind, v.p.BaseURL, err)
	}
	ids := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		ids = append(ids, m.ID)
	}
	if !slices.Contains(ids, v.p.Model) {
		return fmt.Errorf("%s server %s does not serve model %q (serves %v)", v.p.Kind, v.p.BaseURL, v.p.Model, ids)
	}
	return nil
}
