//! The AIR's column map: a layout change shows up in review.

#[test]
fn column_map() {
    insta::assert_snapshot!(air::layout::column_map());
}
