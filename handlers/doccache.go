package handlers

import (
	"sync"

	"github.com/docparse/docparse/stages/render"
)

// docCache keeps a few opened PDFs per process, so the many range messages of
// one big job do not fetch and parse the upload again each time. A Doc is used
// by one handler at a time: get takes it out, put brings it back.
type docCache struct {
	mu    sync.Mutex
	limit int
	idle  []cachedDoc
}

type cachedDoc struct {
	job string
	doc *render.Doc
}

func newDocCache(limit int) *docCache { return &docCache{limit: limit} }

func (c *docCache) get(job string) *render.Doc {
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

func (c *docCache) put(job string, d *render.Doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = append(c.idle, cachedDoc{job, d})
	if len(c.idle) > c.limit {
		c.idle[0].doc.Close()
		c.idle = c.idle[1:]
	}
}

func (c *docCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.idle {
		d.doc.Close()
	}
	c.idle = nil
}
