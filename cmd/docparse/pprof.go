package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// startPprof serves Go's profiler on addr (PPROF_ADDR), so `docparse bench
// --profile` and operators can take CPU and heap profiles of a live process.
// It is off unless set: the endpoints expose internals and cost a goroutine.
func startPprof(addr string, logger *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			logger.Warn("pprof server stopped", slog.String("addr", addr), slog.String("error", err.Error()))
		}
	}()
	logger.Info("pprof listening", slog.String("addr", addr))
}
