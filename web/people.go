package web

// peopleRoutes lists the routes of the people pages: departments, users, imports, account.
func (s *Server) peopleRoutes() []route {
	return nil
}
