package jobstore

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Rerun creates a new queued job from an existing job's stored upload, with
// the same options (mode, format, password, page range, owner). The caller
// publishes it to split. The old job is left as it is.
func (s *Store) Rerun(ctx context.Context, id string) (Job, error) {
	old, err := s.Get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	pdf, err := s.PDF(ctx, id)
	if err != nil {
		return Job{}, fmt.Errorf("rerun %s: the upload is gone: %w", id, err)
	}
	j := Job{ID: uuid.NewString(), Filename: old.Filename, Mode: old.Mode, Format: old.Format,
		Password: old.Password, PageRange: old.PageRange, Owner: old.Owner,
		CallbackURL: old.CallbackURL, IncludeImages: old.IncludeImages}
	if err := s.Create(ctx, j, pdf); err != nil {
		return Job{}, err
	}
	return s.Get(ctx, j.ID)
}
