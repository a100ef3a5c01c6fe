// Package config reads docparse's settings from the environment and an
// optional .env file. Every variable is documented in .env.example.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"

	"github.com/docparse/docparse/messages"
)

// Inference modes.
const (
	InferenceVLLM  = "vllm"
	InferenceLocal = "local"
)

// Config is the whole of docparse's configuration.
type Config struct {
	RedisURL string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`

	InferenceMode   string        `env:"INFERENCE_MODE"` // empty: vllm when a vLLM URL is set, local otherwise
	DeepSeekURL     string        `env:"VLLM_DEEPSEEK_URL"`
	NanonetsURL     string        `env:"VLLM_NANONETS_URL"`
	DeepSeekModel   string        `env:"DEEPSEEK_MODEL" envDefault:"deepseek-ai/DeepSeek-OCR"`
	NanonetsModel   string        `env:"NANONETS_MODEL" envDefault:"nanonets/Nanonets-OCR2-3B"`
	VLLMAPIKey      string        `env:"VLLM_API_KEY"`
	OCRConcurrency  int           `env:"OCR_CONCURRENCY" envDefault:"16"`
	OCRTimeout      time.Duration `env:"OCR_TIMEOUT" envDefault:"120s"`
	OCRMaxRetries   int           `env:"OCR_MAX_RETRIES" envDefault:"3"`
	OCRMaxTokens    int           `env:"OCR_MAX_TOKENS" envDefault:"8192"`
	OCRLanguages    string        `env:"OCR_LANGUAGES" envDefault:"eng"`
	AllowPartial    bool          `env:"ALLOW_PARTIAL" envDefault:"false"`
	DefaultMode     string        `env:"DEFAULT_ACCURACY_MODE" envDefault:"balanced"`
	DefaultFormat   string        `env:"DEFAULT_OUTPUT_FORMAT" envDefault:"markdown"`
	RenderDPI       float64       `env:"RENDER_DPI" envDefault:"144"`
	RenderMaxPixels int           `env:"RENDER_MAX_PIXELS" envDefault:"6000000"`
	RenderStoreMB   int           `env:"RENDER_STORE_MB" envDefault:"64"`
	RenderPageTime  time.Duration `env:"RENDER_PAGE_TIMEOUT" envDefault:"30s"`
	ImageFormat     string        `env:"IMAGE_FORMAT" envDefault:"auto"`
	RangePages      int           `env:"SPLIT_RANGE_PAGES" envDefault:"8"`
	RenderWindow    int           `env:"RENDER_WINDOW" envDefault:"128"`

	APIHost         string        `env:"API_HOST" envDefault:"0.0.0.0"`
	APIPort         int           `env:"API_PORT" envDefault:"1233"`
	NumWorkers      int           `env:"NUM_WORKERS" envDefault:"2"`
	MaxUploadMB     int           `env:"MAX_UPLOAD_MB" envDefault:"200"`
	MaxPages        int           `env:"MAX_PAGES" envDefault:"5000"`
	SyncTimeout     time.Duration `env:"SYNC_TIMEOUT" envDefault:"300s"`
	JobTTL          time.Duration `env:"JOB_TTL" envDefault:"24h"`
	ImageTTL        time.Duration `env:"IMAGE_TTL" envDefault:"2h"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"30s"`
	ClaimAfter      time.Duration `env:"CLAIM_AFTER" envDefault:"0s"` // 0: derived from OCR_TIMEOUT
	StreamMaxLen    int64         `env:"STREAM_MAXLEN" envDefault:"0"`
	StreamRetention time.Duration `env:"STREAM_RETENTION" envDefault:"1h"`
	HeartbeatTTL    time.Duration `env:"HEARTBEAT_TTL" envDefault:"10s"` // a dead worker's messages are claimed after 1.5x this

	// MetricsAddr is where `docparse worker` serves /metrics and /healthz;
	// empty turns it off. `docparse api` serves /metrics on the API port.
	MetricsAddr string `env:"METRICS_ADDR" envDefault:":9090"`
	// PprofAddr serves Go's profiler (/debug/pprof/) when set; docparse bench uses it.
	PprofAddr string `env:"PPROF_ADDR"`

	APIKeys     []string `env:"API_KEYS" envSeparator:","` // empty: no authentication
	RateLimit   int      `env:"RATE_LIMIT" envDefault:"0"` // requests per minute per key or IP; 0: off
	CORSOrigins string   `env:"CORS_ORIGINS"`

	// Integration API: webhooks and the result cache.
	WebhookURL          string        `env:"WEBHOOK_URL"`                            // callback_url when an upload names none
	WebhookSecret       string        `env:"WEBHOOK_SECRET"`                         // HMAC-SHA256 key of X-Docparse-Signature
	WebhookAllowedHosts []string      `env:"WEBHOOK_ALLOWED_HOSTS" envSeparator:","` // empty: any host with public addresses
	WebhookTimeout      time.Duration `env:"WEBHOOK_TIMEOUT" envDefault:"10s"`       // per attempt
	WebhookRetryFor     time.Duration `env:"WEBHOOK_RETRY_FOR" envDefault:"3m"`      // attempts stop after this
	CacheTTL            time.Duration `env:"CACHE_TTL" envDefault:"24h"`             // 0: no result cache

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`
}

// Load reads .env (when present, without overriding the environment) and then
// the environment.
func Load() (Config, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("read .env: %w", err)
	}
	var c Config
	if err := env.Parse(&c); err != nil {
		return Config{}, fmt.Errorf("parse environment: %w", err)
	}
	if c.InferenceMode == "" {
		c.InferenceMode = InferenceLocal
		if c.DeepSeekURL != "" || c.NanonetsURL != "" {
			c.InferenceMode = InferenceVLLM
		}
	}
	return c, c.Validate()
}

// Validate rejects settings that would only fail later, at a worse moment.
func (c Config) Validate() error {
	var errs []error
	if !slices.Contains(messages.Modes, c.DefaultMode) {
		errs = append(errs, fmt.Errorf("DEFAULT_ACCURACY_MODE %q: want one of %v", c.DefaultMode, messages.Modes))
	}
	switch c.InferenceMode {
	case InferenceLocal:
	case InferenceVLLM:
		if c.DeepSeekURL == "" || c.NanonetsURL == "" {
			errs = append(errs, errors.New("INFERENCE_MODE=vllm needs VLLM_DEEPSEEK_URL and VLLM_NANONETS_URL"))
		}
	default:
		errs = append(errs, fmt.Errorf("INFERENCE_MODE %q: want vllm or local", c.InferenceMode))
	}
	if c.ImageFormat != "auto" && c.ImageFormat != "png" && c.ImageFormat != "jpeg" {
		errs = append(errs, fmt.Errorf("IMAGE_FORMAT %q: want auto, png or jpeg", c.ImageFormat))
	}
	if c.OCRConcurrency < 1 || c.RangePages < 1 || c.RenderWindow < 1 || c.NumWorkers < 0 {
		errs = append(errs, errors.New("OCR_CONCURRENCY, SPLIT_RANGE_PAGES and RENDER_WINDOW must be positive, NUM_WORKERS not negative"))
	}
	if c.RenderPageTime <= 0 {
		errs = append(errs, errors.New("RENDER_PAGE_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}

// ClaimIdle is how long a message may sit unacknowledged before another
// consumer claims it. It must exceed the longest handler run: OCR calls with
// their retries, or a split run of slow pages.
func (c Config) ClaimIdle() time.Duration {
	if c.ClaimAfter > 0 {
		return c.ClaimAfter
	}
	return max(c.OCRTimeout*time.Duration(c.OCRMaxRetries+1), c.HandlerTimeout()) + 30*time.Second
}

// HandlerTimeout bounds one run of a split, classify or assemble handler: a
// minute, or room for two pages at their longest (each three passes of
// RENDER_PAGE_TIMEOUT) when that is more. Split hands a range back when
// less than one page's budget is left (render.PageBudget), so a page never
// starts without the time to finish.
func (c Config) HandlerTimeout() time.Duration { return max(time.Minute, 6*c.RenderPageTime) }
