#ifndef DOCPARSE_PAGEPASS_H
#define DOCPARSE_PAGEPASS_H

#include <mupdf/fitz.h>

/* -1 when the page cannot be run */
int dp_count_paths(fz_context *ctx, fz_document *doc, int number, fz_cookie *cookie);
/* NULL when the page cannot be run; the caller drops the buffer */
fz_buffer *dp_page_html(fz_context *ctx, fz_document *doc, int number, fz_cookie *cookie);
/* 0 when the page cannot be loaded or drawn */
int dp_page_bbox(fz_context *ctx, fz_document *doc, int number, float zoom, fz_irect *bbox);
int dp_render_page(fz_context *ctx, fz_document *doc, int number, float zoom, fz_irect bbox, unsigned char *samples,
	fz_cookie *cookie);

#endif
