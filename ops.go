package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"rallybot/bot"
	"rallybot/store"
)

// serveOps serves /healthz and /metrics on addr until stop is called. They
// say how the bot is doing and never who is organizing what: the metrics
// carry kinds and outcomes, no ids. Keep addr on a private interface.
func serveOps(addr string, reg *prometheus.Registry, health *bot.Health, db *store.DB, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &bot.ConfigError{Var: "METRICS_ADDR", Problem: fmt.Sprintf("cannot listen on %s: %v. Pick a free port, e.g. 127.0.0.1:9464", addr, err)}
	}
	mux := http.NewServeMux()
	// Uncompressed: the endpoint is read on loopback (a METRICS_ADDR off it
	// is warned about), and each gzip writer a scrape takes holds 600 KB
	// of a process kept under 50 MB (BENCHMARKS.md, "Memory under a storm").
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, DisableCompression: true}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var problems []string
		if !health.Connected() {
			problems = append(problems, "gateway: not connected")
		}
		if err := db.Writable(ctx); err != nil {
			problems = append(problems, "database: not writable")
			log.Warn("health check: database not writable", "err", err)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, p := range problems {
				fmt.Fprintln(w, p)
			}
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("serving /healthz and /metrics", "addr", "http://"+ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
