package store

// RawColumn reads one column as stored, bypassing the Secret serializer,
// so tests can check what is really at rest.
func RawColumn(s *Store, table, column, key, id string) string {
	var v []string
	if err := s.db.Table(table).Where(key+" = ?", id).Pluck(column, &v).Error; err != nil || len(v) != 1 {
		return "<unreadable>"
	}
	return v[0]
}

// SetRawColumn writes a stored value as is: legacy and clear-text rows.
func SetRawColumn(s *Store, table, column, key, id, value string) error {
	return s.db.Table(table).Where(key+" = ?", id).Update(column, value).Error
}
