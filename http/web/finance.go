package web

import "github.com/gin-gonic/gin"

// Stubs, replaced by the finance pages' work.

func (s *Server) recordPayment(c *gin.Context)  { s.notFound(c) }
func (s *Server) financePage(c *gin.Context)    { s.notFound(c) }
func (s *Server) paymentsDueCSV(c *gin.Context) { s.notFound(c) }
