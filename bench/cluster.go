package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/docparse/docparse/client"
	"github.com/docparse/docparse/ocrsim"
	"github.com/docparse/docparse/redisserver"
)

// Topology is the deployment a case runs on: one API process without
// workers and Workers worker processes running every stage, as a small
// production deployment would, all pointed at one Redis and one simulator.
type Topology struct {
	Workers int
	Env     map[string]string // settings on top of the harness's defaults
	Local   bool              // INFERENCE_MODE=local instead of the simulator
}

// Cluster is a running topology for one case.
type Cluster struct {
	Dir     string
	Redis   *Redis
	Sim     *ocrsim.Server
	API     *client.Client
	Procs   []*Proc
	pprof   map[string]string // process name -> pprof address
	stopSim func()
}

// startCluster starts Redis, the simulator and the docparse processes, and
// waits until the API answers.
func startCluster(ctx context.Context, bin, dir string, sim ocrsim.Options, t Topology) (c *Cluster, err error) {
	c = &Cluster{Dir: dir, pprof: map[string]string{}}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if c.Redis, err = StartRedis(dir); err != nil {
		return c, err
	}
	s, url, stop, err := ocrsim.Start(sim)
	if err != nil {
		return c, fmt.Errorf("start simulator: %w", err)
	}
	c.Sim, c.stopSim = s, stop
	port, err := redisserver.FreePort()
	if err != nil {
		return c, err
	}
	env := map[string]string{
		"REDIS_URL": c.Redis.URL(), "INFERENCE_MODE": "vllm", "VLLM_DEEPSEEK_URL": url, "VLLM_NANONETS_URL": url,
		"API_HOST": "127.0.0.1", "API_PORT": strconv.Itoa(port), "LOG_LEVEL": "warn",
		"METRICS_ADDR": "127.0.0.1:0", "OCR_TIMEOUT": "60s", "MAX_UPLOAD_MB": "500",
	}
	if t.Local {
		env["INFERENCE_MODE"] = "local"
	}
	for k, v := range t.Env {
		env[k] = v
	}
	if err := c.start(bin, "api", env, "0", "api"); err != nil {
		return c, err
	}
	for i := range max(t.Workers, 1) {
		if err := c.start(bin, fmt.Sprintf("worker-%d", i+1), env, env["NUM_WORKERS"], "worker"); err != nil {
			return c, err
		}
	}
	c.API = client.New("http://127.0.0.1:"+strconv.Itoa(port), "")
	return c, c.waitReady(ctx, 20*time.Second)
}

// start runs one docparse process; numWorkers is its NUM_WORKERS.
func (c *Cluster) start(bin, name string, base map[string]string, numWorkers string, args ...string) error {
	env := map[string]string{}
	for k, v := range base {
		env[k] = v
	}
	env["NUM_WORKERS"] = numWorkers
	if env["NUM_WORKERS"] == "" {
		env["NUM_WORKERS"] = "2"
	}
	if base["PPROF_ADDR"] != "" {
		port, err := redisserver.FreePort()
		if err != nil {
			return err
		}
		env["PPROF_ADDR"] = addr(port)
		c.pprof[name] = env["PPROF_ADDR"]
	}
	p, err := startProc(bin, c.Dir, name, env, args...)
	if err != nil {
		return err
	}
	c.Procs = append(c.Procs, p)
	return nil
}

// waitReady waits for the API's /healthz and for every worker to beat.
func (c *Cluster) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		for _, p := range c.Procs {
			if p.Exited() {
				log, _ := os.ReadFile(p.Log)
				return fmt.Errorf("%s exited at start: %s", p.Name, tail(log, 800))
			}
		}
		resp, err := http.Get(c.API.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		beats, _ := c.Redis.Client.Keys(ctx, "docparse:heartbeat:*").Result()
		if err == nil && resp.StatusCode == http.StatusOK && len(beats) >= len(c.Procs)-1 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the cluster did not come up in time")
}

// Stop ends every process of the cluster.
func (c *Cluster) Stop() {
	for _, p := range c.Procs {
		p.Stop(10 * time.Second)
	}
	if c.stopSim != nil {
		c.stopSim()
	}
	if c.Redis != nil {
		c.Redis.Stop()
	}
}

// Profile takes a CPU profile of every process that serves pprof, for
// seconds, and writes them to dir as name-proc.pprof. It runs beside the case.
func (c *Cluster) Profile(ctx context.Context, dir, name string, seconds int) error {
	// At once, not one after another: each fetch lasts the whole profile, so
	// in turn the later processes were profiled after the run had ended.
	var wg sync.WaitGroup
	errs := make([]error, 0, len(c.pprof))
	var mu sync.Mutex
	for proc, a := range c.pprof {
		wg.Go(func() {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", a, seconds)
			if err := fetch(ctx, url, filepath.Join(dir, name+"-"+proc+".pprof")); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("profile %s: %w", proc, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
