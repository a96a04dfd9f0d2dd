//! Loss, parameter gradient and input gradient against JAX (float64, CPU) on the networks of
//! `fixtures/nn_jax.txt` (every activation, every loss; the command that made it is in its
//! header, the script is benches/jax/make_fixture.py).

use faer::MatRef;
use std::collections::HashMap;
use tessera::nn::{Network, Spec, Targets, Workspace};

fn cases() -> Vec<HashMap<String, Vec<f64>>> {
    let text = include_str!("../fixtures/nn_jax.txt");
    let mut cases: Vec<HashMap<String, Vec<f64>>> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let key = words.next().expect("a key");
        if key == "case" {
            cases.push(HashMap::new());
            continue;
        }
        let values = words.map(|w| w.parse::<f64>().expect("a number")).collect();
        cases.last_mut().expect("a case first").insert(key.to_string(), values);
    }
    cases
}

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-13 * scale, "{what}[{k}]: {g} vs JAX {w}");
    }
}

#[test]
fn loss_and_gradients_match_jax() {
    let cases = cases();
    assert_eq!(cases.len(), 4);
    for c in &cases {
        let sizes: Vec<usize> = c["sizes"].iter().map(|&v| v as usize).collect();
        let acts: Vec<u32> = c["acts"].iter().map(|&v| v as u32).collect();
        let spec = Spec::from_codes(&sizes, &acts, c["loss"][0] as u32).unwrap();
        let net = Network::from_params(spec, c["params"].clone()).unwrap();
        let n0 = sizes[0];
        let batch = c["input"].len() / n0;
        let x = MatRef::from_column_major_slice(&c["input"], n0, batch);
        let labels: Vec<u32> = c.get("labels").map(|l| l.iter().map(|&v| v as u32).collect()).unwrap_or_default();
        let targets = match c.get("targets") {
            Some(t) => Targets::Values(MatRef::from_column_major_slice(t, *sizes.last().unwrap(), batch)),
            None => Targets::Labels(&labels),
        };
        let mut ws = Workspace::new(net.spec(), batch, 1).unwrap();
        let mut grad = vec![0.0; net.spec().num_params()];
        let mut gx = faer::Mat::<f64>::zeros(n0, batch);
        let loss = net.loss_gradient(x, targets, &mut ws, &mut grad, Some(gx.as_mut())).unwrap();
        close("loss", &[loss], &c["value"]);
        close("grad", &grad, &c["grad"]);
        let gx: Vec<f64> = (0..batch).flat_map(|j| (0..n0).map(move |i| (i, j))).map(|(i, j)| gx[(i, j)]).collect();
        close("input_grad", &gx, &c["input_grad"]);
    }
}
