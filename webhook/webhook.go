// Package webhook delivers job notifications: it checks callback URLs
// against the allow-list and the private-address rule, signs bodies with
// HMAC-SHA256 and POSTs them. Retrying is the caller's: the webhook stage
// records every attempt on the job.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Docparse-Signature"

// Options configure delivery (WEBHOOK_* in .env.example).
type Options struct {
	// AllowedHosts, when set, are the only hosts callbacks may go to (exact
	// names or "*.example.com"), and they may resolve to private addresses.
	// Empty: any host whose addresses are all public.
	AllowedHosts []string
	Secret       string        // HMAC key; empty sends no signature
	Timeout      time.Duration // per attempt, default 10s
	RetryFor     time.Duration // attempts stop this long after the first, default 3m
	Backoff      time.Duration // wait before the second attempt, doubling to 1m, default 1s
}

// ErrRefused means a callback URL is not allowed.
var ErrRefused = errors.New("callback_url refused")

// Sender posts signed notifications.
type Sender struct {
	o      Options
	client *http.Client
}

// New returns a Sender for o with defaults filled in.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 3 * time.Minute
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	s := &Sender{o: o}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	s.client = &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			// The address is checked when dialling, not only when the URL was
			// accepted: a name that re-resolves to 127.0.0.1 later is refused.
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				ip, err := s.resolve(ctx, host)
				if err != nil {
					return nil, err
				}
				return dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			},
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		// A redirect could lead anywhere: it counts as a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// Options returns the options in force.
func (s *Sender) Options() Options { return s.o }

// Check validates a callback URL: http or https, an allowed host, and
// addresses that are public unless the host is on the allow-list.
func (s *Sender) Check(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%w: want an absolute http or https URL", ErrRefused)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL are not allowed", ErrRefused)
	}
	_, err = s.resolve(ctx, u.Hostname())
	return err
}

// resolve returns an address of host that policy allows.
func (s *Sender) resolve(ctx context.Context, host string) (net.IP, error) {
	listed := s.listed(host)
	if len(s.o.AllowedHosts) > 0 && !listed {
		return nil, fmt.Errorf("%w: host %q is not in WEBHOOK_ALLOWED_HOSTS", ErrRefused, host)
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%w: host %q does not resolve: %v", ErrRefused, host, err)
	}
	if listed {
		return ips[0], nil
	}
	for _, ip := range ips {
		if internal(ip) {
			return nil, fmt.Errorf("%w: host %q resolves to the internal address %s (list it in WEBHOOK_ALLOWED_HOSTS to allow it)", ErrRefused, host, ip)
		}
	}
	return ips[0], nil
}

func (s *Sender) listed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range s.o.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:])) {
			return true
		}
	}
	return false
}

// cgnat is 100.64.0.0/10, shared address space that is internal too.
var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// internal reports addresses a callback must not reach by default:
// loopback, private, link-local (cloud metadata), unspecified, multicast.
func internal(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip)
}

// Sign returns the signature header value of body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header in constant time, for receivers in Go.
func Verify(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// Delivery is one notification to send.
type Delivery struct {
	URL   string
	ID    string // stable across attempts, for receivers to drop repeats
	Event string // job.completed, job.failed, job.cancelled
	Body  []byte
}

// Post makes one attempt. It returns the status code when the receiver
// answered, and an error unless that was 2xx.
func (s *Sender) Post(ctx context.Context, d Delivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "docparse-webhook/1")
	req.Header.Set("X-Docparse-Event", d.Event)
	req.Header.Set("X-Docparse-Delivery", d.ID)
	if s.o.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(s.o.Secret, d.Body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook post: receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// Backoff is the wait before attempt n+1 (n ≥ 1): Backoff doubling, capped at a minute.
func (s *Sender) Backoff(n int) time.Duration {
	d := s.o.Backoff << min(n-1, 10)
	return min(d, time.Minute)
}
