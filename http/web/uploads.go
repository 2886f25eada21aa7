package web

import "github.com/gin-gonic/gin"

// maxUploadFile is the largest document accepted.
const maxUploadFile = 5 << 20

// Stubs, replaced by the uploads' work.

func (s *Server) upload(c *gin.Context)         { s.notFound(c) }
func (s *Server) uploadsPage(c *gin.Context)    { s.notFound(c) }
func (s *Server) downloadUpload(c *gin.Context) { s.notFound(c) }
