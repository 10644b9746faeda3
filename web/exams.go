package web

// examRoutes lists the routes of the exam pages: exams, papers, overrides.
func (s *Server) examRoutes() []route {
	return nil
}
