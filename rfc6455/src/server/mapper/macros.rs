//! [`service_mapper!`](crate::service_mapper): a [`ServiceMapper`](crate::ServiceMapper)
//! table written as a table.

/// Build a [`ServiceMapper`](crate::ServiceMapper) from a table that reads like the original's
/// `ws-service-mapper`; expands to the [builder](crate::ServiceMapper::builder) calls and
/// returns `Result<ServiceMapper, MapperError>`.
///
/// Each path pattern maps to its entries, in order. An entry's key is `none` (no
/// subprotocol offered), a subprotocol name, or a list of them in brackets, which may mix
/// `none` and names. Handlers are as for [`PathBuilder::entry`](crate::PathBuilder::entry). For a
/// [hook](crate::MapperBuilder::hook), use the builder.
///
/// ```
/// use rfc6455::service_mapper;
///
/// let mapper = service_mapper! {
///     "/test" => {
///         none => |mut ws, _| async move { let _ = ws.send_text("test").await; },
///         "subprotocol" => |mut ws, _| async move {
///             let _ = ws.send_text("This is the subprotocol handler").await;
///         },
///     },
///     "/api/v[12]" => {
///         [none, "json"] => |_ws, _| async {},
///     },
/// }?;
/// # drop(mapper);
/// # Ok::<(), rfc6455::MapperError>(())
/// ```
#[macro_export]
macro_rules! service_mapper {
    (@entry $builder:ident, none, $handler:expr) => {
        $builder.no_subprotocol($handler)
    };
    (@entry $builder:ident, [ $( $protocol:tt ),* $(,)? ], $handler:expr) => {
        $builder.entry([ $( $crate::service_mapper!(@protocol $protocol) ),* ], $handler)
    };
    (@entry $builder:ident, $protocol:literal, $handler:expr) => {
        $builder.subprotocol($protocol, $handler)
    };
    (@protocol none) => {
        ::core::option::Option::None::<&str>
    };
    (@protocol $protocol:literal) => {
        ::core::option::Option::Some($protocol)
    };
    ( $( $path:expr => { $( $key:tt => $handler:expr ),* $(,)? } ),* $(,)? ) => {{
        let builder = $crate::ServiceMapper::builder();
        $(
            let builder = builder.path($path);
            $( let builder = $crate::service_mapper!(@entry builder, $key, $handler); )*
        )*
        builder.build()
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn macro_builds_the_same_table() {
        let mapper = service_mapper! {
            "/test" => {
                none => |_ws, _| async {},
                "subprotocol" => |_ws, _| async {},
                ["b", "a"] => |_ws, _| async {},
            },
            "/mixed" => { [none, "x"] => |_ws, _| async {} },
        }
        .unwrap();
        assert_eq!(
            format!("{mapper:?}"),
            r#"[("/test", [[None], [Some("subprotocol")], [Some("b"), Some("a")]]), ("/mixed", [[None, Some("x")]])]"#
        );
    }
}
