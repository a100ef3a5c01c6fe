#include <mupdf/fitz.h>
#include "pagepass.h"

/*
 * What Measure and Render ask of MuPDF for one page, without go-fitz's
 * detours: go-fitz offers the page's structured text only as HTML with every
 * image re-encoded into it, drawings only as SVG with every image and glyph
 * written out (on a page holding one photograph, a quarter of a second of
 * CPU spent on bytes nobody reads), and a rendered page only after copying
 * MuPDF's pixmap twice (see pagepass.go). Each run takes a cookie that
 * Go sets to abort a page that runs too long (abortable in pagepass.go).
 */

/* A device that only counts the paths a page fills or strokes, the <path>
 * elements MuPDF's SVG device would draw: clip paths, glyph outlines
 * (fill_text), and what is drawn inside a soft mask or a tiling pattern's
 * cell (SVG defs) are not drawings of the page. */
typedef struct {
	fz_device super;
	int paths;
	int hidden;
} counter;

static void count_fill(fz_context *ctx, fz_device *dev, const fz_path *path, int even_odd, fz_matrix ctm,
	fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	counter *c = (counter *)dev;
	if (c->hidden == 0)
		c->paths++;
}

static void count_stroke(fz_context *ctx, fz_device *dev, const fz_path *path, const fz_stroke_state *st,
	fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	counter *c = (counter *)dev;
	if (c->hidden == 0)
		c->paths++;
}

static void hide_mask(fz_context *ctx, fz_device *dev, fz_rect area, int luminosity, fz_colorspace *cs,
	const float *bc, fz_color_params cp)
{
	((counter *)dev)->hidden++;
}

static void unhide_mask(fz_context *ctx, fz_device *dev, fz_function *fn)
{
	((counter *)dev)->hidden--;
}

/* Returning 1 tells the interpreter the cell is cached, so it is not run:
 * what a pattern cell draws is never counted anyway. */
static int skip_tile(fz_context *ctx, fz_device *dev, fz_rect area, fz_rect view, float xstep, float ystep,
	fz_matrix ctm, int id)
{
	return 1;
}

static void end_tile(fz_context *ctx, fz_device *dev)
{
}

int dp_count_paths(fz_context *ctx, fz_document *doc, int number, fz_cookie *cookie)
{
	fz_page *page = NULL;
	counter *dev = NULL;
	int paths = -1;

	fz_var(page);
	fz_var(dev);
	fz_try(ctx)
	{
		page = fz_load_page(ctx, doc, number);
		dev = fz_new_derived_device(ctx, counter);
		dev->super.fill_path = count_fill;
		dev->super.stroke_path = count_stroke;
		dev->super.begin_mask = hide_mask;
		dev->super.end_mask = unhide_mask;
		dev->super.begin_tile = skip_tile;
		dev->super.end_tile = end_tile;
		fz_enable_device_hints(ctx, &dev->super, FZ_NO_CACHE);
		fz_run_page_contents(ctx, page, &dev->super, fz_identity, cookie);
		fz_close_device(ctx, &dev->super);
		paths = dev->paths;
	}
	fz_always(ctx)
	{
		fz_drop_device(ctx, (fz_device *)dev);
		fz_drop_page(ctx, page);
	}
	fz_catch(ctx)
	{
		return -1;
	}
	return paths;
}

/* A white square standing in for every image of the page in the HTML: the
 * printer writes each image's position from the block and its data from
 * the image, and only the position is read. Two pixels a side, not one:
 * the printer centres its CSS matrix on (w/2, h/2) in integers, and a
 * reader taking the centre as 0.5 would misplace a 1-pixel image. */
static fz_image *blank_image(fz_context *ctx)
{
	fz_pixmap *pix = fz_new_pixmap(ctx, fz_device_gray(ctx), 2, 2, NULL, 0);
	fz_image *img = NULL;

	fz_try(ctx)
	{
		fz_clear_pixmap_with_value(ctx, pix, 255);
		img = fz_new_image_from_pixmap(ctx, pix, NULL);
	}
	fz_always(ctx)
		fz_drop_pixmap(ctx, pix);
	fz_catch(ctx)
		fz_rethrow(ctx);
	return img;
}

fz_buffer *dp_page_html(fz_context *ctx, fz_document *doc, int number, fz_cookie *cookie)
{
	fz_page *page = NULL;
	fz_stext_page *text = NULL;
	fz_device *dev = NULL;
	fz_image *blank = NULL;
	fz_output *out = NULL;
	fz_buffer *buf = NULL;
	fz_stext_options opts = { FZ_STEXT_PRESERVE_IMAGES };
	fz_stext_block *b;

	fz_var(page);
	fz_var(text);
	fz_var(dev);
	fz_var(blank);
	fz_var(out);
	fz_var(buf);
	fz_try(ctx)
	{
		page = fz_load_page(ctx, doc, number);
		text = fz_new_stext_page(ctx, fz_bound_page(ctx, page));
		dev = fz_new_stext_device(ctx, text, &opts);
		fz_enable_device_hints(ctx, dev, FZ_NO_CACHE);
		fz_run_page_contents(ctx, page, dev, fz_identity, cookie);
		fz_close_device(ctx, dev);

		blank = blank_image(ctx);
		for (b = text->first_block; b; b = b->next)
		{
			if (b->type != FZ_STEXT_BLOCK_IMAGE)
				continue;
			fz_drop_image(ctx, b->u.i.image);
			b->u.i.image = fz_keep_image(ctx, blank);
		}

		buf = fz_new_buffer(ctx, 4096);
		out = fz_new_output_with_buffer(ctx, buf);
		fz_print_stext_page_as_html(ctx, out, text, number);
		fz_close_output(ctx, out);
	}
	fz_always(ctx)
	{
		fz_drop_output(ctx, out);
		fz_drop_image(ctx, blank);
		fz_drop_device(ctx, dev);
		fz_drop_stext_page(ctx, text);
		fz_drop_page(ctx, page);
	}
	fz_catch(ctx)
	{
		fz_drop_buffer(ctx, buf);
		return NULL;
	}
	return buf;
}

int dp_page_bbox(fz_context *ctx, fz_document *doc, int number, float zoom, fz_irect *bbox)
{
	fz_page *page = NULL;

	fz_var(page);
	fz_try(ctx)
	{
		page = fz_load_page(ctx, doc, number);
		*bbox = fz_round_rect(fz_transform_rect(fz_bound_page(ctx, page), fz_scale(zoom, zoom)));
	}
	fz_always(ctx)
		fz_drop_page(ctx, page);
	fz_catch(ctx)
		return 0;
	return 1;
}

/* Draws the page on white into samples, bbox's width x height RGBA pixels
 * that the caller owns: MuPDF needs no pixmap memory of its own. */
int dp_render_page(fz_context *ctx, fz_document *doc, int number, float zoom, fz_irect bbox, unsigned char *samples,
	fz_cookie *cookie)
{
	fz_page *page = NULL;
	fz_pixmap *pix = NULL;
	fz_device *dev = NULL;

	fz_var(page);
	fz_var(pix);
	fz_var(dev);
	fz_try(ctx)
	{
		page = fz_load_page(ctx, doc, number);
		pix = fz_new_pixmap_with_bbox_and_data(ctx, fz_device_rgb(ctx), bbox, NULL, 1, samples);
		fz_clear_pixmap_with_value(ctx, pix, 0xff);
		dev = fz_new_draw_device(ctx, fz_scale(zoom, zoom), pix);
		fz_enable_device_hints(ctx, dev, FZ_NO_CACHE);
		fz_run_page_contents(ctx, page, dev, fz_identity, cookie);
		fz_close_device(ctx, dev);
	}
	fz_always(ctx)
	{
		fz_drop_device(ctx, dev);
		fz_drop_pixmap(ctx, pix);
		fz_drop_page(ctx, page);
	}
	fz_catch(ctx)
		return 0;
	return 1;
}
