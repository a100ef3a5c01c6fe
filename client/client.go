// Package client talks to a running docparse API; the CLI's parse and jobs
// commands are built on it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	httpapi "github.com/docparse/docparse/http"
)

// Client calls one docparse server.
type Client struct {
	Base   string
	APIKey string
	HTTP   *http.Client
}

// New returns a client for base, such as http://127.0.0.1:1233.
func New(base, apiKey string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), APIKey: apiKey, HTTP: &http.Client{Timeout: 5 * time.Minute}}
}

// Error is an error answer from the server.
type Error struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Submitted is the answer to an upload.
type Submitted struct {
	JobID     string `json:"job_id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
	ResultURL string `json:"result_url"`
}

// Submit uploads a file with form options such as accuracy_mode and output_format.
func (c *Client) Submit(ctx context.Context, path string, options map[string]string) (Submitted, error) {
	f, err := os.Open(path)
	if err != nil {
		return Submitted{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range options {
		if v != "" {
			_ = mw.WriteField(k, v)
		}
	}
	part, err := mw.CreateFormFile("file", filepath.Base(path))
	if err != nil {
		return Submitted{}, err
	}
	if _, err := io.Copy(part, f); err != nil {
		return Submitted{}, fmt.Errorf("read %s: %w", path, err)
	}
	if err := mw.Close(); err != nil {
		return Submitted{}, err
	}
	var out Submitted
	err = c.do(ctx, http.MethodPost, "/v1/process/async", mw.FormDataContentType(), &body, &out)
	return out, err
}

// Status reads a job's status document.
func (c *Client) Status(ctx context.Context, id string) (httpapi.Status, error) {
	var s httpapi.Status
	err := c.do(ctx, http.MethodGet, "/v1/jobs/"+id+"/status", "", nil, &s)
	return s, err
}

// List reads the newest jobs.
func (c *Client) List(ctx context.Context, limit int, status string) ([]httpapi.Status, error) {
	var out struct {
		Jobs []httpapi.Status `json:"jobs"`
	}
	q := fmt.Sprintf("/v1/jobs?limit=%d", limit)
	if status != "" {
		q += "&status=" + status
	}
	err := c.do(ctx, http.MethodGet, q, "", nil, &out)
	return out.Jobs, err
}

// Download fetches a completed job's output file.
func (c *Client) Download(ctx context.Context, id string) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, http.MethodGet, "/v1/jobs/"+id+"/result?download=1", "", nil, &raw)
	return raw, err
}

// Cancel cancels a job and keeps it (DELETE /v1/jobs/{id} also deletes it).
func (c *Client) Cancel(ctx context.Context, id string) (httpapi.Status, error) {
	var s httpapi.Status
	err := c.do(ctx, http.MethodPost, "/v1/jobs/"+id+"/cancel", "", nil, &s)
	return s, err
}

func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.APIKey != "" {
		req.Header.Set("X-API-Key", c.APIKey)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error Error `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		e.Error.Status = resp.StatusCode
		if e.Error.Message == "" {
			e.Error.Message = strings.TrimSpace(string(data))
		}
		return &e.Error
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}
