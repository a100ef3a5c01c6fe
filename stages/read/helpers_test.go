package read

import (
	"fmt"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

func apiErr(status int) error {
	return fmt.Errorf("call: %w", &openai.APIError{HTTPStatusCode: status, HTTPStatus: http.StatusText(status), Message: "x"})
}

func reqErr(status int) error {
	return fmt.Errorf("call: %w", &openai.RequestError{HTTPStatusCode: status, HTTPStatus: http.StatusText(status)})
}
