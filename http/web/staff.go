package web

import "github.com/gin-gonic/gin"

// Stubs, replaced by the staff pages' work.

func (s *Server) declareConflict(c *gin.Context)   { s.notFound(c) }
func (s *Server) assess(c *gin.Context)            { s.notFound(c) }
func (s *Server) assignPanel(c *gin.Context)       { s.notFound(c) }
func (s *Server) moderate(c *gin.Context)          { s.notFound(c) }
func (s *Server) decide(c *gin.Context)            { s.notFound(c) }
func (s *Server) confirmConditions(c *gin.Context) { s.notFound(c) }
func (s *Server) reviewReturn(c *gin.Context)      { s.notFound(c) }
func (s *Server) reviewReport(c *gin.Context)      { s.notFound(c) }
func (s *Server) vary(c *gin.Context)              { s.notFound(c) }
func (s *Server) terminate(c *gin.Context)         { s.notFound(c) }
func (s *Server) workQueues(c *gin.Context) {
	s.render(c, 200, "error", page{Title: "Work queues", Data: errorPage{Heading: "Work queues"}})
}
func (s *Server) schemeBudget(c *gin.Context) { s.notFound(c) }
