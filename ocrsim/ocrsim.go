// Package ocrsim is a simulated vLLM server speaking the OpenAI-compatible
// API of DeepSeek-OCR and Nanonets-OCR2, for tests, benchmarks and the
// `docparse vllm-sim` subcommand.
//
// It behaves like the real thing where the pipeline depends on it:
//   - it decodes every image it is sent and answers with the page's identity,
//     "page-<hex16> <width>x<height>" (see ImageID), so a test can prove each
//     page of a document reached the model and came back in the right place;
//   - it refuses what vLLM would refuse (unknown model 404, undecodable image
//     or the wrong prompt 400) with OpenAI-style error JSON;
//   - it serves at most Batch requests at once and queues the rest, with a
//     service time of Latency + PerToken × output tokens, so its throughput
//     ceiling, Batch / service time, is known in advance;
//   - its answers carry each model's markup (DeepSeek grounding tags and
//     end-of-sentence token, Nanonets <watermark> and <page_number>) so the
//     engines' clean-up is exercised.
//
// Endpoints: GET /v1/models, POST /v1/chat/completions, GET /stats (JSON
// Stats; add ?images=1 for the per-page counts), GET /health.
package ocrsim

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// Default model names, served when Options.Models is empty.
const (
	DeepSeekModel = "deepseek-ai/DeepSeek-OCR"
	NanonetsModel = "nanonets/Nanonets-OCR2-3B"
)

const defaultBatch = 32

// Options configure a Server.
type Options struct {
	Models    []string      // accepted model names, default DeepSeekModel and NanonetsModel
	Latency   time.Duration // base service time per request
	PerToken  time.Duration // plus this × output tokens (words of the answer)
	Batch     int           // requests served at once, the rest queue (default 32)
	Tesseract bool          // answer with real OCR via `tesseract stdin stdout` (slow; demos)
	Faults    FaultPlan     // fault injection for tests
}

// Stats is what the server has done since it started.
type Stats struct {
	Requests        int64            `json:"requests"`         // chat completions received
	Served          int64            `json:"served"`           // completions answered (injected empty/repeat included)
	Rejected        int64            `json:"rejected"`         // answered 4xx
	Faults          int64            `json:"faults"`           // injected faults of any kind
	InFlight        int64            `json:"in_flight"`        // being served now
	Queued          int64            `json:"queued"`           // waiting for a batch slot now
	PeakConcurrency int64            `json:"peak_concurrency"` // most served at once
	PeakQueue       int64            `json:"peak_queue"`       // most waiting at once
	ByModel         map[string]int64 `json:"by_model"`         // served per model
	DistinctImages  int64            `json:"distinct_images"`  // different pages served
	Images          map[string]int64 `json:"images,omitempty"` // served per ImageID (GET /stats?images=1)
}

// Server is the simulated vLLM server; it implements http.Handler.
type Server struct {
	o     Options
	mux   *http.ServeMux
	slots chan struct{} // one per batch slot
	done  chan struct{} // closed on stop, releases hung and sleeping requests
	stop  sync.Once

	mu sync.Mutex
	st Stats
}

// New returns a server for o, with defaults filled in.
func New(o Options) *Server {
	if len(o.Models) == 0 {
		o.Models = []string{DeepSeekModel, NanonetsModel}
	}
	if o.Batch <= 0 {
		o.Batch = defaultBatch
	}
	s := &Server{
		o: o, mux: http.NewServeMux(),
		slots: make(chan struct{}, o.Batch),
		done:  make(chan struct{}),
		st:    Stats{ByModel: map[string]int64{}, Images: map[string]int64{}},
	}
	s.mux.HandleFunc("GET /v1/models", s.listModels)
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /stats", s.stats)
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.ByModel = maps.Clone(s.st.ByModel)
	st.Images = maps.Clone(s.st.Images)
	return st
}

// close releases every request still waiting in the server.
func (s *Server) close() { s.stop.Do(func() { close(s.done) }) }

// Start serves a new Server on 127.0.0.1 at a free port, for tests. It
// returns the base URL (ending in /v1) and a stop function that closes every
// connection at once, hung requests included.
func Start(o Options) (*Server, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	s := New(o)
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	stop := sync.OnceFunc(func() {
		s.close()
		_ = hs.Close()
	})
	return s, "http://" + ln.Addr().String() + "/v1", stop, nil
}

func (s *Server) listModels(w http.ResponseWriter, _ *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
		Root    string `json:"root"`
	}
	data := make([]model, 0, len(s.o.Models))
	for _, m := range s.o.Models {
		data = append(data, model{ID: m, Object: "model", Created: time.Now().Unix(), OwnedBy: "vllm", Root: m})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// stats answers GET /stats. The per-image map grows with every page of a
// long benchmark, so it is only included on request (?images=1).
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	st := s.Stats()
	if r.URL.Query().Get("images") == "" {
		st.Images = nil
	}
	writeJSON(w, http.StatusOK, st)
}

// chat answers one chat completion: validate, apply the fault plan, wait for
// a batch slot, spend the service time, answer.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	n := s.count(func(st *Stats) { st.Requests++ })
	req, herr := s.parse(w, r)
	if herr != nil {
		s.count(func(st *Stats) { st.Rejected++ })
		writeError(w, herr)
		return
	}
	f := s.o.Faults.faultFor(n)
	if f != faultNone {
		s.count(func(st *Stats) { st.Faults++ })
	}
	switch f {
	case fault500:
		writeError(w, &httpError{status: http.StatusInternalServerError, msg: "injected fault"})
		return
	case faultHang:
		s.wait(r.Context(), -1)
		return
	case faultMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"chatcmpl-sim","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"page-`))
		return
	}
	resp, herr := s.serve(r.Context(), req, f)
	if herr != nil {
		writeError(w, herr)
		return
	}
	s.count(func(st *Stats) {
		st.Served++
		st.ByModel[req.model]++
		if st.Images[req.pic.id]++; st.Images[req.pic.id] == 1 {
			st.DistinctImages++
		}
	})
	writeJSON(w, http.StatusOK, resp)
}

// count applies fn to the stats under the lock and returns the request count.
func (s *Server) count(fn func(*Stats)) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.st)
	return s.st.Requests
}

// serve holds a batch slot for the service time and builds the answer.
func (s *Server) serve(ctx context.Context, req request, f fault) (completion, *httpError) {
	if !s.acquire(ctx) {
		return completion{}, &httpError{status: 499, msg: "client went away while queued"}
	}
	defer s.release()
	text, herr := s.text(ctx, req)
	if herr != nil {
		return completion{}, herr
	}
	resp := answer(req, text, f)
	service := s.o.Latency + s.o.PerToken*time.Duration(resp.Usage.CompletionTokens)
	if !s.wait(ctx, service) {
		return completion{}, &httpError{status: 499, msg: "client went away while served"}
	}
	return resp, nil
}

// acquire takes a batch slot, queueing until one is free; false if the
// client gave up or the server stopped first.
func (s *Server) acquire(ctx context.Context) bool {
	s.count(func(st *Stats) { st.Queued++; st.PeakQueue = max(st.PeakQueue, st.Queued) })
	select {
	case s.slots <- struct{}{}:
		s.count(func(st *Stats) {
			st.Queued--
			st.InFlight++
			st.PeakConcurrency = max(st.PeakConcurrency, st.InFlight)
		})
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	s.count(func(st *Stats) { st.Queued-- })
	return false
}

func (s *Server) release() {
	s.count(func(st *Stats) { st.InFlight-- })
	<-s.slots
}

// wait sleeps d (forever if negative) unless the client goes away or the
// server stops; it reports whether the full time passed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	var elapsed <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		elapsed = t.C
	}
	select {
	case <-elapsed:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// httpError is an error answered to the client.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// writeError answers in the OpenAI error shape that clients (go-openai,
// the openai Python package) parse.
func writeError(w http.ResponseWriter, e *httpError) {
	writeJSON(w, e.status, map[string]any{"error": map[string]any{
		"message": e.msg, "type": errorType(e.status), "param": nil, "code": e.status,
	}})
}

func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequestError"
	case http.StatusNotFound:
		return "NotFoundError"
	}
	return "InternalServerError"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errNoImage is a chat request without an image part.
var errNoImage = errors.New("request carries no image_url part")
