package ocrsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// maxBody bounds a request body: a 144 DPI page is a few MB of base64.
const maxBody = 64 << 20

// deepseekPrompt is the only prompt a DeepSeek model accepts here, so a test
// fails if the engine's prompt drifts.
const deepseekPrompt = "<image>\n<|grounding|>Convert the document to markdown."

// request is a validated chat completion.
type request struct {
	model  string
	prompt string
	pic    picture
}

// chatRequest is the part of the OpenAI request the simulator reads.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// contentPart is one element of a multi-part message content.
type contentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

// parse reads and validates a chat completion in vLLM's order: the model
// first (404), then the content (400).
func (s *Server) parse(w http.ResponseWriter, r *http.Request) (request, *httpError) {
	var cr chatRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&cr); err != nil {
		return request{}, badRequest("invalid JSON body: %v", err)
	}
	if !slices.Contains(s.o.Models, cr.Model) {
		return request{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("The model `%s` does not exist.", cr.Model)}
	}
	prompt, imageURL, err := userContent(cr)
	if err != nil {
		return request{}, badRequest("%v", err)
	}
	if err := checkPrompt(cr.Model, prompt); err != nil {
		return request{}, badRequest("%v", err)
	}
	raw, err := decodeDataURL(imageURL)
	if err != nil {
		return request{}, badRequest("%v", err)
	}
	pic, err := decodePicture(raw)
	if err != nil {
		return request{}, badRequest("%v", err)
	}
	return request{model: cr.Model, prompt: prompt, pic: pic}, nil
}

func badRequest(format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// userContent returns the text and the one image of the user messages.
// System messages are ignored: they are not part of the OCR prompt.
func userContent(cr chatRequest) (string, string, error) {
	var texts, images []string
	for _, m := range cr.Messages {
		if m.Role != "user" {
			continue
		}
		// Told apart by the first byte: trying the string form first cost a
		// scan of the whole multi-part content, base64 image included.
		if c := bytes.TrimLeft(m.Content, " \t\r\n"); len(c) > 0 && c[0] == '"' {
			var plain string
			if err := json.Unmarshal(c, &plain); err != nil {
				return "", "", fmt.Errorf("message content: %w", err)
			}
			texts = append(texts, plain)
			continue
		}
		var parts []contentPart
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return "", "", fmt.Errorf("message content: %w", err)
		}
		for _, p := range parts {
			switch p.Type {
			case "text":
				texts = append(texts, p.Text)
			case "image_url":
				images = append(images, p.ImageURL.URL)
			}
		}
	}
	if len(images) != 1 {
		return "", "", fmt.Errorf("%w: want exactly one image, got %d", errNoImage, len(images))
	}
	return strings.Join(texts, "\n"), images[0], nil
}

// kind is the model family a model name belongs to, "" if neither.
func kind(model string) string {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "deepseek"):
		return "deepseek"
	case strings.Contains(m, "nanonets"):
		return "nanonets"
	}
	return ""
}

// checkPrompt refuses a prompt the model family was not trained on.
func checkPrompt(model, prompt string) error {
	switch kind(model) {
	case "deepseek":
		if prompt != deepseekPrompt {
			return fmt.Errorf("DeepSeek-OCR prompt must be %q, got %q", deepseekPrompt, prompt)
		}
	case "nanonets":
		if !strings.Contains(prompt, "page_number") {
			return fmt.Errorf("Nanonets-OCR2 prompt must be its extraction prompt (mentioning page_number), got %q", prompt)
		}
	}
	return nil
}
