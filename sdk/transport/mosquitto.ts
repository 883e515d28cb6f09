/**
 * Where scripts/services.sh starts Mosquitto (MQTT 5 and 3.1.1): 127.0.0.1 on
 * ALOFT_MOSQUITTO_PORT, 18830 by default, so it never collides with a system broker on 1883.
 */
export function mosquittoUrl(): string {
  return `mqtt://127.0.0.1:${process.env.ALOFT_MOSQUITTO_PORT ?? '18830'}`;
}
