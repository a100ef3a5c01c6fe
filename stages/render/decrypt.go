package render

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// ErrWrongPassword means the password given with an encrypted PDF does not open it.
var ErrWrongPassword = errors.New("the password does not open this PDF")

// Decrypt returns pdf without its encryption, opened with password. go-fitz
// has no way to pass a password to MuPDF, so pdfcpu removes the encryption and
// MuPDF then reads the plain copy.
func Decrypt(pdf []byte, password string) ([]byte, error) {
	conf := model.NewDefaultConfiguration()
	conf.UserPW, conf.OwnerPW = password, password
	conf.ValidationMode = model.ValidationRelaxed
	var out bytes.Buffer
	if err := api.Decrypt(bytes.NewReader(pdf), &out, conf); err != nil {
		if bytes.Contains([]byte(err.Error()), []byte("not encrypted")) {
			return pdf, nil
		}
		return nil, fmt.Errorf("%w: %v", ErrWrongPassword, err)
	}
	return out.Bytes(), nil
}
