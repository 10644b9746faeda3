package web

// roomRoutes lists the routes of the room pages: rooms, rosters, join links, audio.
func (s *Server) roomRoutes() []route {
	return nil
}
