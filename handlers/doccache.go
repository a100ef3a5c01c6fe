package handlers

import (
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/docparse/docparse/stages/render"
)

// docCache keeps a few opened PDFs per process, so the many range messages of
// one big job do not fetch and parse the upload again each time. A Doc is used
// by one handler at a time: get takes it out, put brings it back.
//
// The upload itself is held once per process, whatever the number of Docs
// open on it: each split consumer needs its own MuPDF document, but not its
// own copy of the bytes, its own fetch from Redis or its own annotation scan.
type docCache struct {
	mu      sync.Mutex
	limit   int
	idle    []cachedDoc
	sources map[string]*sharedSource
	loads   singleflight.Group
}

type cachedDoc struct {
	job string
	doc *render.Doc
}

// sharedSource is a job's upload and the number of Docs, idle or in use,
// opened on it; it is dropped with the last of them.
type sharedSource struct {
	src  *render.Source
	docs int
}

func newDocCache(limit int) *docCache {
	return &docCache{limit: limit, sources: map[string]*sharedSource{}}
}

// get returns an idle Doc of the job, or opens one on the job's upload, which
// load fetches at most once at a time per process.
func (c *docCache) get(job string, opts render.Options, load func() (*render.Source, error)) (*render.Doc, error) {
	if d := c.idleDoc(job); d != nil {
		return d, nil
	}
	src := c.reserve(job, nil)
	if src == nil {
		v, err, _ := c.loads.Do(job, func() (any, error) { return load() })
		if err != nil {
			return nil, err
		}
		src = c.reserve(job, v.(*render.Source))
	}
	d, err := src.Open(opts)
	if err != nil {
		c.release(job)
		return nil, err
	}
	return d, nil
}

func (c *docCache) idleDoc(job string) *render.Doc {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, d := range c.idle {
		if d.job == job {
			c.idle = append(c.idle[:i], c.idle[i+1:]...)
			return d.doc
		}
	}
	return nil
}

// reserve counts one more Doc on the job's shared upload and returns it; with
// none shared yet it shares loaded, or returns nil when loaded is nil too.
func (c *docCache) reserve(job string, loaded *render.Source) *render.Source {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sources[job]
	if s == nil {
		if loaded == nil {
			return nil
		}
		s = &sharedSource{src: loaded}
		c.sources[job] = s
	}
	if loaded != nil && loaded != s.src {
		loaded.Close() // loaded again while another load was shared: keep one
	}
	s.docs++
	return s.src
}

func (c *docCache) release(job string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releaseLocked(job)
}

func (c *docCache) releaseLocked(job string) {
	if s := c.sources[job]; s != nil {
		if s.docs--; s.docs <= 0 {
			delete(c.sources, job)
			s.src.Close() // its file, if it has one
		}
	}
}

func (c *docCache) put(job string, d *render.Doc) {
	d, err := d.Renew() // a fresh Doc on the same upload after many pages
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.releaseLocked(job)
		return
	}
	c.idle = append(c.idle, cachedDoc{job, d})
	if len(c.idle) > c.limit {
		c.idle[0].doc.Close()
		c.releaseLocked(c.idle[0].job)
		c.idle = c.idle[1:]
	}
}

func (c *docCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.idle {
		d.doc.Close()
		c.releaseLocked(d.job)
	}
	c.idle = nil
}
