package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/ocrsim"
)

func simCmd() *cobra.Command {
	var o ocrsim.Options
	var addr, models string
	cmd := &cobra.Command{
		Use:   "vllm-sim",
		Short: "Serve a simulated vLLM OpenAI-compatible API, for tests and capacity planning",
		Long: `vllm-sim answers /v1/chat/completions like vLLM serving DeepSeek-OCR and
Nanonets-OCR2: it decodes every image it is sent, serves at most --batch
requests at once with a service time of --latency plus --per-token for each
output token, and queues the rest. Its ceiling, batch / latency pages per
second, is what the pipeline is measured against. GET /stats reports what it served.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Models = splitList(models)
			srv := ocrsim.New(o)
			hs := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
			slog.Info("vllm-sim listening", slog.String("addr", addr), slog.Int("batch", o.Batch), slog.Duration("latency", o.Latency))
			go func() {
				<-cmd.Context().Done()
				_ = hs.Close()
			}()
			if err := hs.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				return fmt.Errorf("vllm-sim: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8000", "listen address")
	f.StringVar(&models, "models", strings.Join([]string{"deepseek-ai/DeepSeek-OCR", "nanonets/Nanonets-OCR2-3B"}, ","), "model names served")
	f.IntVar(&o.Batch, "batch", 32, "requests served at once")
	f.DurationVar(&o.Latency, "latency", time.Second, "base service time per request")
	f.DurationVar(&o.PerToken, "per-token", 0, "added service time per output token")
	f.BoolVar(&o.Tesseract, "tesseract", false, "answer with real OCR of the image through tesseract")
	return cmd
}
