//! Input for the `orders` test package (`tests/packages/data_flow/orders_*.dtsx`): a generated
//! orders file of any size, the `/Set` values that point the package's flat-file connections
//! into a directory, and how many rows its Conditional Split sends to "Big orders". It makes
//! inputs only; the tests check the outputs.

use std::path::Path;

/// Writes `n` orders to `file`; returns how many of them the package's split sends to "Big
/// orders" (amount × qty > 100; the others go to "Other orders").
pub fn write_orders(file: &Path, n: u32) -> u64 {
    let mut data = String::with_capacity(60 * n as usize);
    data.push_str("id,customer,region,amount,qty,ordered\r\n");
    let mut big = 0;
    for i in 0..n {
        let (whole, qty) = (i % 1000, i % 9);
        // amount = whole.25, compared in hundredths
        if (whole as u64 * 100 + 25) * qty as u64 > 100 * 100 {
            big += 1;
        }
        data.push_str(&format!(
            "{i},customer {i},region {},{whole}.25,{qty},2024-01-0{}\r\n",
            i % 7,
            1 + i % 9
        ));
    }
    std::fs::write(file, data).expect("input");
    big
}

/// `/Set` values pointing the package's connections Orders, Big and Small at `orders.csv`,
/// `big.csv` and `small.csv` in `dir`.
pub fn sets(dir: &Path) -> Vec<String> {
    [
        ("Orders", "orders.csv"),
        ("Big", "big.csv"),
        ("Small", "small.csv"),
    ]
    .iter()
    .map(|(c, f)| {
        format!(
            "\\Package.Connections[{c}].Properties[ConnectionString];{}",
            dir.join(f).display()
        )
    })
    .collect()
}
