// Package tesseract reads page images with the tesseract binary, run as a
// child process so that a crash or a runaway page costs one call, not the
// worker.
package tesseract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Params configure a Reader. Zero values take the defaults.
type Params struct {
	Binary    string        // default "tesseract"
	Languages string        // tesseract's -l: "eng", "eng+deu"; default "eng"
	Timeout   time.Duration // for one Read, rotation checks included; default 60s
}

// Reader reads page images. It is safe for concurrent use: every call runs
// its own processes.
type Reader struct {
	bin     string
	langs   string
	timeout time.Duration

	osdOnce sync.Once
	osd     bool // the osd traineddata is installed, so orientation can be asked
}

// Defaults.
const (
	DefaultBinary    = "tesseract"
	DefaultLanguages = "eng"
	DefaultTimeout   = 60 * time.Second
)

// New makes a Reader from p.
func New(p Params) *Reader {
	r := &Reader{bin: p.Binary, langs: p.Languages, timeout: p.Timeout}
	if r.bin == "" {
		r.bin = DefaultBinary
	}
	if r.langs == "" {
		r.langs = DefaultLanguages
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	return r
}

// ErrUnavailable is returned when the binary or a language is missing.
var ErrUnavailable = errors.New("tesseract unavailable")

// Available returns nil if the binary runs and has the default language
// ("eng"); Reader.Available checks a Reader's own languages.
func Available(binary string) error {
	return New(Params{Binary: binary}).Available(context.Background())
}

// Available returns nil if the Reader's binary runs and has its languages.
func (r *Reader) Available(ctx context.Context) error {
	installed, err := r.listLangs(ctx)
	if err != nil {
		return err
	}
	for _, l := range strings.Split(r.langs, "+") {
		if !installed[l] {
			return fmt.Errorf("%w: language %q is not installed (have %s)", ErrUnavailable, l, keys(installed))
		}
	}
	return nil
}

var langRe = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// listLangs asks the binary which traineddata it has.
func (r *Reader) listLangs(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := r.run(ctx, nil, "--list-langs")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	langs := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); langRe.MatchString(l) {
			langs[l] = true
		}
	}
	return langs, nil
}

// hasOSD reports, once per Reader, whether orientation detection is there.
func (r *Reader) hasOSD(ctx context.Context) bool {
	r.osdOnce.Do(func() {
		// The answer is kept for the Reader's life: one caller's
		// cancellation must not decide it for all.
		langs, err := r.listLangs(context.WithoutCancel(ctx))
		r.osd = err == nil && langs["osd"]
	})
	return r.osd
}

// run starts the binary with args, feeds it stdin and returns its stdout.
// The process is killed when ctx ends.
func (r *Reader) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = childEnv()
	cmd.WaitDelay = 2 * time.Second // do not hang on pipes a killed child left open
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", r.bin, args[len(args)-1], ctx.Err())
		}
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", r.bin, strings.Join(args, " "), err, lastLines(stderr.String(), 3))
	}
	return stdout.Bytes(), nil
}

// childEnv limits tesseract to one OpenMP thread unless the operator chose
// otherwise: several workers OCR pages side by side, and OpenMP threads
// spinning against each other made one page several times slower.
func childEnv() []string {
	env := os.Environ()
	if _, ok := os.LookupEnv("OMP_THREAD_LIMIT"); !ok {
		env = append(env, "OMP_THREAD_LIMIT=1")
	}
	return env
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], " | ")
}

func keys(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ",")
}
