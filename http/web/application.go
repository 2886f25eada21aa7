package web

import "github.com/gin-gonic/gin"

// Stubs, replaced by the application page's work.

func (s *Server) applicationPage(c *gin.Context)   { s.notFound(c) }
func (s *Server) downloadDocument(c *gin.Context)  { s.notFound(c) }
func (s *Server) answerInformation(c *gin.Context) { s.notFound(c) }
func (s *Server) acceptOffer(c *gin.Context)       { s.notFound(c) }
func (s *Server) submitReport(c *gin.Context)      { s.notFound(c) }
func (s *Server) submitReturn(c *gin.Context)      { s.notFound(c) }
