package webhook

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		url     string
		ok      bool
	}{
		{"public ip", nil, "https://93.184.216.34/hook", true},
		{"loopback refused", nil, "http://127.0.0.1:8080/hook", false},
		{"localhost refused", nil, "http://localhost/hook", false},
		{"private refused", nil, "http://10.1.2.3/hook", false},
		{"metadata refused", nil, "http://169.254.169.254/latest", false},
		{"cgnat refused", nil, "http://100.64.0.1/", false},
		{"ipv6 loopback refused", nil, "http://[::1]/", false},
		{"unspecified refused", nil, "http://0.0.0.0/", false},
		{"listed loopback allowed", []string{"127.0.0.1"}, "http://127.0.0.1:8080/hook", true},
		{"unlisted host refused", []string{"127.0.0.1"}, "https://93.184.216.34/hook", false},
		{"wildcard needs a subdomain", []string{"*.localhost"}, "http://localhost/x", false},
		{"listed name", []string{"LOCALHOST"}, "http://localhost/x", true},
		{"ftp refused", nil, "ftp://93.184.216.34/", false},
		{"no host", nil, "http:///x", false},
		{"credentials refused", []string{"127.0.0.1"}, "http://u:p@127.0.0.1/", false},
		{"relative refused", nil, "/hook", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(Options{AllowedHosts: tt.allowed}).Check(context.Background(), tt.url)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				require.True(t, errors.Is(err, ErrRefused))
			}
		})
	}
}

func TestListed(t *testing.T) {
	s := New(Options{AllowedHosts: []string{"*.example.com", "hooks.test"}})
	require.True(t, s.listed("a.example.com"))
	require.True(t, s.listed("HOOKS.test."))
	require.False(t, s.listed("example.com"))
	require.False(t, s.listed("evil-example.com"))
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"job_id":"x","status":"completed"}`)
	sig := Sign("k", body)
	require.Regexp(t, `^sha256=[0-9a-f]{64}$`, sig)
	require.True(t, Verify("k", body, sig))
	require.False(t, Verify("other", body, sig))
	require.False(t, Verify("k", append(body, ' '), sig))
}

func TestBackoff(t *testing.T) {
	s := New(Options{})
	require.Equal(t, []int{1, 2, 4, 8, 16, 32, 60, 60}, func() []int {
		var out []int
		for n := 1; n <= 8; n++ {
			out = append(out, int(s.Backoff(n).Seconds()))
		}
		return out
	}())
}
