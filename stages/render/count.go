package render

// CountPages opens a PDF with MuPDF only to count its pages: the API uses it
// to enforce MAX_PAGES at upload time, without Open's annotation scan.
func CountPages(pdf []byte) (int, error) {
	if IsImage(pdf) {
		d, err := openImage(pdf, Options{})
		if err != nil {
			return 0, err
		}
		defer d.Close()
		return d.Pages(), nil
	}
	if !IsPDF(pdf) {
		return 0, ErrBadPDF
	}
	f, err := openPDF(pdf) // source.go
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.NumPage(), nil
}
