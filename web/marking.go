package web

// markingRoutes lists the routes of the marking, review and results pages.
func (s *Server) markingRoutes() []route {
	return nil
}
