package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stages/assemble"
	"github.com/docparse/docparse/stages/render"
)

// formFields are the multipart fields an upload may carry; anything else is
// a client mistake worth a 400 rather than silence.
var formFields = []string{"file", "accuracy_mode", "output_format", "password", "page_range", "callback_url", "no_cache", "include_images"}

// upload is a validated submission. Its file is spooled to disk (spool.go);
// release removes it once the upload is stored.
type upload struct {
	filename string
	file     *spooled
	mode     string
	format   string
	password string
	extras   uploadExtras // integration.go: page_range, callback_url, no_cache, include_images
}

func (u *upload) release() {
	if u.file != nil {
		u.file.remove()
	}
}

// Limits on a form's fields other than the file.
const (
	maxFieldBytes = 64 << 10
	maxFormBytes  = 1 << 20
)

// parseUpload reads the multipart form as it streams in: options into
// memory, the file into a spool file, every part within its limit.
func (a *App) parseUpload(c *fiber.Ctx) (upload, error) {
	u := upload{mode: a.p.DefaultMode, format: a.p.DefaultFormat}
	mr, err := a.multipartReader(c)
	if err != nil {
		return u, err
	}
	values := map[string][]string{}
	files, formBytes := 0, 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			u.release()
			return upload{}, badForm()
		}
		if part.FileName() != "" {
			files++
			err = a.readFilePart(&u, part)
		} else {
			err = readValuePart(values, part, &formBytes)
		}
		if err != nil {
			u.release()
			return upload{}, err
		}
	}
	drainBody(c)
	if err := u.readOptions(values); err != nil {
		u.release()
		return upload{}, err
	}
	if files != 1 || u.file == nil {
		u.release()
		return upload{}, newError(fiber.StatusBadRequest, "missing_file", "send exactly one document in the file field")
	}
	if err := u.checkContent(); err != nil {
		u.release()
		return upload{}, err
	}
	return u, nil
}

// drainBody reads what follows the form's closing boundary (a chunked body's
// last chunk, an epilogue): left in the connection, it would be read as the
// next request. More than a little is not a form's: the connection closes.
func drainBody(c *fiber.Ctx) {
	body := c.Request().BodyStream()
	if body == nil {
		return
	}
	if n, _ := io.Copy(io.Discard, io.LimitReader(body, 64<<10)); n == 64<<10 {
		c.Context().SetConnectionClose()
	}
}

func badForm() error {
	return newError(fiber.StatusBadRequest, "bad_request", "expected a multipart/form-data body with a file field")
}

// multipartReader reads the request body as it arrives (fiber's
// StreamRequestBody), after refusing a declared length over the limit.
func (a *App) multipartReader(c *fiber.Ctx) (*multipart.Reader, error) {
	if c.Request().Header.ContentLength() > a.bodyLimit() {
		return nil, a.tooLarge()
	}
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, badForm()
	}
	body := c.Request().BodyStream()
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	return multipart.NewReader(body, params["boundary"]), nil
}

func (a *App) readFilePart(u *upload, part *multipart.Part) error {
	if name := part.FormName(); name != "file" {
		return newError(fiber.StatusBadRequest, "unknown_field", fmt.Sprintf("unknown file field %q: send the document as \"file\"", name))
	}
	if u.file != nil {
		return nil // counted by the caller: exactly one is allowed
	}
	f, err := spool(&a.uploads, part, int64(a.p.MaxUploadMB)<<20)
	switch {
	case errors.Is(err, errTooLarge):
		return a.tooLarge()
	case errors.Is(err, errSpoolFile):
		return err // the server's: a 500, logged
	case err != nil:
		return badForm()
	}
	u.file, u.filename = f, SafeFilename(part.FileName())
	return nil
}

func readValuePart(values map[string][]string, part *multipart.Part, formBytes *int) error {
	name := part.FormName()
	if !slices.Contains(formFields, name) {
		return newError(fiber.StatusBadRequest, "unknown_field", fmt.Sprintf("unknown form field %q (allowed: %s)", name, strings.Join(formFields, ", ")))
	}
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return badForm()
	}
	if *formBytes += len(b); len(b) > maxFieldBytes || *formBytes > maxFormBytes {
		return newError(fiber.StatusBadRequest, "bad_request", fmt.Sprintf("form field %q is too long", name))
	}
	values[name] = append(values[name], string(b))
	return nil
}

func (a *App) bodyLimit() int { return (a.p.MaxUploadMB + 1) << 20 }

func (a *App) tooLarge() error {
	return newError(fiber.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the upload exceeds MAX_UPLOAD_MB (%d MB)", a.p.MaxUploadMB))
}

func (u *upload) readOptions(values map[string][]string) error {
	get := func(name string) string {
		if v := values[name]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	if m := get("accuracy_mode"); m != "" {
		u.mode = m
	}
	if f := get("output_format"); f != "" {
		u.format = f
	}
	u.password = get("password")
	if !slices.Contains(messages.Modes, u.mode) {
		return newError(fiber.StatusBadRequest, "invalid_accuracy_mode", fmt.Sprintf("accuracy_mode %q: allowed values are %s", u.mode, strings.Join(messages.Modes, ", ")))
	}
	if _, ok := assemble.Formats[u.format]; !ok {
		return newError(fiber.StatusBadRequest, "invalid_output_format", fmt.Sprintf("output_format %q: allowed values are %s", u.format, strings.Join(assemble.FormatNames, ", ")))
	}
	return u.extras.read(get)
}

// checkContent judges the file by its bytes, never by its name.
func (u *upload) checkContent() error {
	if u.file.size == 0 {
		return newError(fiber.StatusBadRequest, "empty_file", "the uploaded file is empty")
	}
	head := u.file.head
	if render.Sniff(head) == "" {
		return newError(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "the file is not a PDF, PNG, JPEG, TIFF or WebP (judged by its content)")
	}
	if !render.IsImage(head) {
		return nil
	}
	b, err := u.file.bytes()
	if err != nil {
		return err
	}
	if render.CheckImage(b) != nil {
		return newError(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "the file starts like an image but does not decode as one")
	}
	return nil
}

// SafeFilename keeps the base name of what a client sent, as valid UTF-8
// without control characters or path parts, so it can be stored, logged and
// returned in headers safely.
func SafeFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == "/" || name == ".." {
		name = "document.pdf"
	}
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// contentDisposition names a download with an ASCII fallback and the UTF-8
// name per RFC 6266.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, pathEscape(name))
}

func pathEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func resultName(filename, ext string) string {
	base := strings.TrimSuffix(filename, path.Ext(filename))
	if base == "" {
		base = "document"
	}
	return base + ext
}

// submit stores the job and publishes it to split.
func (a *App) submit(c *fiber.Ctx) (jobstore.Job, error) {
	u, err := a.parseUpload(c)
	if err != nil {
		return jobstore.Job{}, err
	}
	defer u.release()
	if err := a.checkPages(u.file); err != nil {
		return jobstore.Job{}, err
	}
	j := jobstore.Job{ID: uuid.NewString(), Filename: u.filename, Mode: u.mode, Format: u.format, Password: u.password, Owner: owner(c)}
	if err := a.applyExtras(c, &j, u); err != nil { // integration.go
		return j, err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	if cached, ok, err := a.fromCache(ctx, &j, u); err != nil || ok { // cache.go
		return cached, err
	}
	f, err := u.file.open()
	if err != nil {
		return j, err
	}
	defer f.Close()
	if err := a.p.Store.CreateFrom(ctx, j, f); err != nil {
		return j, err
	}
	metrics.UploadBytesTotal.Add(float64(u.file.size))
	if err := publishJSON(a.p.Publisher, messages.StreamJobs, messages.JobSubmitted{V: messages.Version, JobID: j.ID}); err != nil {
		return j, err
	}
	a.claimCache(ctx, j)
	// Answer with the job as created: a worker may already have moved it on,
	// and the 202 says what was accepted.
	j.Status = jobstore.StatusQueued
	return j, nil
}

func publishJSON(pub message.Publisher, topic string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return pub.Publish(topic, message.NewMessage(watermill.NewUUID(), b))
}

func (a *App) processAsync(c *fiber.Ctx) error {
	j, err := a.submit(c)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{
		"job_id": j.ID, "status": j.Status, "message": submitMessage(j), "cached": j.Cached,
		"status_url": "/v1/jobs/" + j.ID + "/status", "result_url": "/v1/jobs/" + j.ID + "/result",
	})
}

func (a *App) processSync(c *fiber.Ctx) error {
	j, err := a.submit(c)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(a.p.SyncTimeout)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		ctx, cancel := storeCtx(c)
		j, err = a.p.Store.Get(ctx, j.ID)
		cancel()
		if err != nil && !isRedisDown(err) {
			return err
		}
		if jobstore.Final(j.Status) {
			break
		}
	}
	switch j.Status {
	case jobstore.StatusCompleted:
		return a.resultOf(c, j)
	case jobstore.StatusFailed, jobstore.StatusCancelled:
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"error": newError(fiber.StatusUnprocessableEntity, "job_"+j.Status, strOr(j.Error, "job "+j.Status)), "status": StatusOf(j)})
	}
	return c.Status(fiber.StatusGatewayTimeout).JSON(fiber.Map{
		"error":  newError(fiber.StatusGatewayTimeout, "timeout", "the job did not finish within SYNC_TIMEOUT; it goes on"),
		"job_id": j.ID, "status_url": "/v1/jobs/" + j.ID + "/status", "result_url": "/v1/jobs/" + j.ID + "/result",
	})
}

func strOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
