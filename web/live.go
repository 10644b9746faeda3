package web

// liveRoutes lists the routes of the proctoring pages: device check and the live room.
func (s *Server) liveRoutes() []route {
	return nil
}
